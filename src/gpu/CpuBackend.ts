import type { NumericType } from '../numeric/NumericType.js';
import type { Vector } from '../numeric/Vector.js';
import type { LayerCoefficients } from '../optimizers/LayerCoefficients.js';
import type { LayerPlan } from '../optimizers/LayerPlan.js';
import { HostState } from './HostState.js';
import type { BackendState, OptimizerBackend } from './OptimizerBackend.js';

type Floats = Float32Array | Float64Array;

/**
 * The CPU fallback: plain loops over typed arrays, float32 and float64. Sums
 * accumulate in float64 (JavaScript numbers) whatever the storage type, and
 * the fused update reads each element once and writes it once.
 */
export class CpuBackend implements OptimizerBackend {
  readonly name: string = 'cpu';

  supports(_dtype: NumericType): boolean {
    return true;
  }

  createState(plan: LayerPlan, dtype: NumericType): BackendState {
    return new HostState(plan, dtype);
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
    const w = params.data;
    const g = grads.data;
    const buf = bufferOf(state);
    for (const s of plan.segments) {
      const l = s.index;
      const gs = c.gradScale[l], wd = c.decay[l], mu = c.bufferMomentum[l], a = c.bufferGain[l];
      const cb = c.fromBuffer[l], cd = c.fromDirection[l];
      let uu = 0;
      for (let i = s.start; i < s.end; i++) {
        const d = gs * g[i] + wd * w[i];
        const b = buf === null ? 0 : mu * buf[i] + a * d;
        const u = cb * b + cd * d;
        uu += u * u;
      }
      out[l] = uu;
    }
    return out;
  }

  applyUpdate(plan: LayerPlan, c: LayerCoefficients, params: Vector, grads: Vector, state: BackendState | null): void {
    const w = params.data;
    const g = grads.data;
    const buf = bufferOf(state);
    for (const s of plan.segments) {
      const l = s.index;
      const gs = c.gradScale[l], wd = c.decay[l], mu = c.bufferMomentum[l], a = c.bufferGain[l];
      const cb = c.fromBuffer[l], cd = c.fromDirection[l], step = c.stepScale[l];
      if (buf === null) {
        for (let i = s.start; i < s.end; i++) {
          const wi = w[i];
          w[i] = wi - step * (cd * (gs * g[i] + wd * wi));
        }
        continue;
      }
      for (let i = s.start; i < s.end; i++) {
        const wi = w[i];
        const d = gs * g[i] + wd * wi;
        const b = mu * buf[i] + a * d;
        buf[i] = b;
        w[i] = wi - step * (cb * b + cd * d);
      }
    }
  }

  dispose(): void {}
}

function bufferOf(state: BackendState | null): Floats | null {
  if (state === null) return null;
  if (!(state instanceof HostState)) throw new TypeError('the CPU backend needs state it created itself');
  return state.values;
}
