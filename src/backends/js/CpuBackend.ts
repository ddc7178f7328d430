import type { NumericType } from '../../numeric/NumericType.js';
import type { Vector } from '../../numeric/Vector.js';
import { isPlainMomentum, type LayerCoefficients } from '../../core/LayerCoefficients.js';
import type { LayerPlan, LayerSegment } from '../../core/LayerPlan.js';
import { GUESS_BITS, SIGNED_CODE_BOOK } from '../../quantization/CodeBook.js';
import { QUANT_BLOCK } from '../../quantization/blockwise.js';
import { HostState } from './HostState.js';
import type { BackendState, OptimizerBackend } from '../../core/OptimizerBackend.js';
import { QuantizedHostState } from './QuantizedHostState.js';

type Floats = Float32Array | Float64Array;

/** The signed dynamic map's codes as float64 (exact): a load without a float32 conversion. */
const CODES_64 = Float64Array.from(SIGNED_CODE_BOOK.values);

/** One block of quotients rounded to float32, and their bit patterns (the code book's guess index). */
const quotients32 = new Float32Array(QUANT_BLOCK);
const quotientBits = new Uint32Array(quotients32.buffer);
// applyQuantized corrects the table guess with one comparison (CodeBook.encodeStep).
if (!SIGNED_CODE_BOOK.oneStep) throw new Error('the signed code book needs a one-step guess table');

/**
 * The CPU fallback: plain loops over typed arrays, float32 and float64. Sums
 * accumulate in float64 (JavaScript numbers) whatever the storage type, and
 * the fused update reads each element once and writes it once.
 *
 * Layers with 8-bit state are updated one 256-element block at a time:
 * dequantize the block's codes, update momentum and weights, and requantize
 * the new momentum with a fresh absmax; only a 256-element scratch buffer is
 * ever held in full precision.
 *
 * @category Backends
 */
export class CpuBackend implements OptimizerBackend {
  readonly name: string = 'cpu';
  private readonly scratch = new Float64Array(QUANT_BLOCK);

  supports(_dtype: NumericType): boolean {
    return true;
  }

  /** A `HostState` when every layer is 32-bit, else a `QuantizedHostState`. */
  supportsStateBits(_bits: 8 | 32): boolean {
    return true;
  }

  createState(plan: LayerPlan, dtype: NumericType): BackendState {
    return plan.segments.some((s) => s.stateBits === 8) ? new QuantizedHostState(plan, dtype) : new HostState(plan, dtype);
  }

  layerNorms(plan: LayerPlan, params: Vector, grads: Vector): Float64Array {
    const out = new Float64Array(plan.segments.length * 2);
    const w = params.data;
    const g = grads.data;
    for (const s of plan.segments) {
      let ww = 0;
      let gg = 0;
      for (let i = s.start; i < s.end; i++) {
        const wi = w[i];
        const gi = g[i];
        ww += wi * wi;
        gg += gi * gi;
      }
      out[2 * s.index] = ww;
      out[2 * s.index + 1] = gg;
    }
    return out;
  }

  updateNorms(plan: LayerPlan, c: LayerCoefficients, params: Vector, grads: Vector, state: BackendState | null): Float64Array {
    const out = new Float64Array(plan.segments.length);
    const host = hostStateOf(state);
    for (const s of plan.segments) {
      out[s.index] =
        host instanceof QuantizedHostState && s.stateBits === 8
          ? updateNormQuantized(s, c, params.data, grads.data, host)
          : updateNormFloat(s, c, params.data, grads.data, floatBuffer(host, s));
    }
    return out;
  }

  applyUpdate(plan: LayerPlan, c: LayerCoefficients, params: Vector, grads: Vector, state: BackendState | null): void {
    const host = hostStateOf(state);
    for (const s of plan.segments) {
      if (host instanceof QuantizedHostState && s.stateBits === 8) {
        applyQuantized(s, c, params.data, grads.data, host, this.scratch);
      } else {
        applyFloat(s, c, params.data, grads.data, floatBuffer(host, s));
      }
    }
  }

  dispose(): void {}
}

/** A full-precision buffer and the offset that maps element i to buf[i + base]. */
interface FloatBuffer {
  readonly buf: Floats | null;
  readonly base: number;
}

function hostStateOf(state: BackendState | null): HostState | QuantizedHostState | null {
  if (state === null) return null;
  if (!(state instanceof HostState) && !(state instanceof QuantizedHostState)) {
    throw new TypeError('the CPU backend needs state it created itself');
  }
  return state;
}

function floatBuffer(host: HostState | QuantizedHostState | null, s: LayerSegment): FloatBuffer {
  if (host === null) return { buf: null, base: 0 };
  if (host instanceof HostState) return { buf: host.values, base: 0 };
  return { buf: host.values, base: host.offset[s.index] - s.start };
}

function updateNormFloat(s: LayerSegment, c: LayerCoefficients, w: Floats, g: Floats, fb: FloatBuffer): number {
  const l = s.index;
  const gs = c.gradScale[l], wd = c.decay[l], mu = c.bufferMomentum[l], a = c.bufferGain[l];
  const cb = c.fromBuffer[l], cd = c.fromDirection[l];
  const { buf, base } = fb;
  let uu = 0;
  for (let i = s.start; i < s.end; i++) {
    const d = gs * g[i] + wd * w[i];
    const b = buf === null ? 0 : mu * buf[base + i] + a * d;
    const u = cb * b + cd * d;
    uu += u * u;
  }
  return uu;
}

function applyFloat(s: LayerSegment, c: LayerCoefficients, w: Floats, g: Floats, fb: FloatBuffer): void {
  const l = s.index;
  const gs = c.gradScale[l], wd = c.decay[l], mu = c.bufferMomentum[l], a = c.bufferGain[l];
  const cb = c.fromBuffer[l], cd = c.fromDirection[l], step = c.stepScale[l];
  const { buf, base } = fb;
  if (buf === null) {
    for (let i = s.start; i < s.end; i++) {
      const wi = w[i];
      w[i] = wi - step * (cd * (gs * g[i] + wd * wi));
    }
    return;
  }
  if (isPlainMomentum(c, l)) {
    // u = 1·b + 0·d = b (up to the sign of a zero): the WebAssembly kernels take the same shortcut.
    for (let i = s.start; i < s.end; i++) {
      const wi = w[i];
      const b = mu * buf[base + i] + a * (gs * g[i] + wd * wi);
      buf[base + i] = b;
      w[i] = wi - step * b;
    }
    return;
  }
  for (let i = s.start; i < s.end; i++) {
    const wi = w[i];
    const d = gs * g[i] + wd * wi;
    const b = mu * buf[base + i] + a * d;
    buf[base + i] = b;
    w[i] = wi - step * (cb * b + cd * d);
  }
}

function updateNormQuantized(s: LayerSegment, c: LayerCoefficients, w: Floats, g: Floats, q: QuantizedHostState): number {
  const l = s.index;
  const gs = c.gradScale[l], wd = c.decay[l], mu = c.bufferMomentum[l], a = c.bufferGain[l];
  const cb = c.fromBuffer[l], cd = c.fromDirection[l];
  const map = CODES_64;
  const codes = q.codes, absmax = q.absmax;
  const codeBase = q.offset[l] - s.start;
  let block = q.blockOffset[l];
  let uu = 0;
  for (let start = s.start; start < s.end; start += QUANT_BLOCK, block++) {
    const end = Math.min(start + QUANT_BLOCK, s.end);
    const scale = absmax[block];
    for (let i = start; i < end; i++) {
      const d = gs * g[i] + wd * w[i];
      const b = mu * (map[codes[codeBase + i]] * scale) + a * d;
      const u = cb * b + cd * d;
      uu += u * u;
    }
  }
  return uu;
}

function applyQuantized(
  s: LayerSegment,
  c: LayerCoefficients,
  w: Floats,
  g: Floats,
  q: QuantizedHostState,
  scratch: Float64Array,
): void {
  const l = s.index;
  const gs = c.gradScale[l], wd = c.decay[l], mu = c.bufferMomentum[l], a = c.bufferGain[l];
  const cb = c.fromBuffer[l], cd = c.fromDirection[l], step = c.stepScale[l];
  const map = CODES_64;
  const t = SIGNED_CODE_BOOK.thresholds;
  const zero = SIGNED_CODE_BOOK.zeroCode;
  const guess = SIGNED_CODE_BOOK.guess;
  const shift = 32 - GUESS_BITS;
  // Plain momentum: u = 1·b + 0·d = b (up to the sign of a zero), the shortcut the WebAssembly kernels take too.
  const plain = isPlainMomentum(c, l);
  const codes = q.codes, absmax = q.absmax;
  const codeBase = q.offset[l] - s.start;
  let block = q.blockOffset[l];
  for (let start = s.start; start < s.end; start += QUANT_BLOCK, block++) {
    const end = Math.min(start + QUANT_BLOCK, s.end);
    const scale = absmax[block];
    let max = 0;
    if (plain) {
      for (let i = start, j = 0; i < end; i++, j++) {
        const wi = w[i];
        const b = mu * (map[codes[codeBase + i]] * scale) + a * (gs * g[i] + wd * wi);
        scratch[j] = b;
        const m = Math.abs(b); // branch-free; the WASM kernels take f64.abs too
        if (m > max) max = m;
        w[i] = wi - step * b;
      }
    } else {
      for (let i = start, j = 0; i < end; i++, j++) {
        const wi = w[i];
        const d = gs * g[i] + wd * wi;
        const b = mu * (map[codes[codeBase + i]] * scale) + a * d;
        scratch[j] = b;
        const m = Math.abs(b);
        if (m > max) max = m;
        w[i] = wi - step * (cb * b + cd * d);
      }
    }
    const next = Math.fround(max);
    absmax[block] = next;
    if (next === 0) {
      codes.fill(zero, codeBase + start, codeBase + end);
      continue;
    }
    // CodeBook.encodeStep inlined, in two sweeps over the block: the quotients
    // (kept in float64, and rounded to float32 for their buckets), then each
    // bucket's lowest code plus 0 or 1 (no branch to mispredict).
    const len = end - start;
    for (let j = 0; j < len; j++) {
      const x = scratch[j] / next;
      scratch[j] = x;
      quotients32[j] = x;
    }
    for (let i = start, j = 0; i < end; i++, j++) {
      const k = guess[quotientBits[j] >>> shift];
      codes[codeBase + i] = k + +(scratch[j] > t[k + 1]);
    }
  }
}
