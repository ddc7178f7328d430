import * as gpuJs from 'gpu.js';
import { GPU } from 'gpu.js';
import type { NumericType } from '../../numeric/NumericType.js';
import type { Vector } from '../../numeric/Vector.js';
import type { LayerCoefficients } from '../../core/LayerCoefficients.js';
import type { LayerPlan } from '../../core/LayerPlan.js';
import { OptimizerInputError } from '../../core/OptimizerInputError.js';
import type { BackendState, OptimizerBackend } from '../../core/OptimizerBackend.js';
import { ChunkLayout } from './ChunkLayout.js';
import { compileKernelSet, destroyKernelSet, type DeviceTexture, type GpuKernelSet } from './GpuKernelSet.js';
import { GpuState, type GpuStateHost } from './GpuState.js';
import { GpuQuantizedState, type GpuQuantizedStateHost, type QuantizedTextures } from './GpuQuantizedState.js';
import { codeTables, compileQuantizedKernelSet, type QuantizedKernelSet } from './QuantizedKernelSet.js';
import { QuantizedStateLayout } from './QuantizedStateLayout.js';

/**
 * The gpu.js modes this backend runs in: headless-gl in Node, WebGL2 or WebGL in a browser.
 *
 * @category Backends
 */
export type GpuJsMode = 'headlessgl' | 'webgl2' | 'webgl';

/**
 * Options of {@link GpuJsBackend}.
 *
 * @category Backends
 */
export interface GpuJsBackendOptions {
  /** The gpu.js mode. Default: `headlessgl` in Node, else `webgl2`. */
  readonly mode?: GpuJsMode;
  /**
   * Wait for the GPU at every phase boundary so {@link GpuJsBackend.timings}
   * splits transfer from compute truthfully. Default false: the split costs a
   * few pipeline stalls per step, so only benchmarks turn it on.
   */
  readonly profile?: boolean;
}

/**
 * Milliseconds spent per phase since the last {@link GpuJsBackend.resetTimings}.
 *
 * @category Backends
 */
export interface GpuPhaseTimings {
  /** Packing host arrays and uploading them to textures. */
  uploadMs: number;
  /** Running kernels on the device. */
  computeMs: number;
  /** Reading results back and unpacking them into the caller's arrays. */
  downloadMs: number;
}

interface Uploaded {
  readonly params: Float32Array;
  readonly grads: Float32Array;
  readonly w: DeviceTexture;
  readonly g: DeviceTexture;
}

interface PlanResources {
  readonly plan: LayerPlan;
  readonly layout: ChunkLayout;
  readonly kernels: GpuKernelSet;
  readonly staging: Float32Array;
  zeros: DeviceTexture | null;
  quantized: QuantizedResources | null;
}

interface QuantizedResources {
  readonly layout: QuantizedStateLayout;
  readonly kernels: QuantizedKernelSet;
  readonly values: Float32Array;
  readonly thresholds: Float32Array;
}

/**
 * The gpu.js backend: the segmented norm reduction and the fused update as
 * float32 GPU kernels.
 *
 * - **Precision:** float32 only; `supports('float64')` is false, so an
 *   optimizer given float64 vectors warns and computes on the CPU instead:
 *   never a silent downcast.
 * - **Reduction:** two levels over fixed-size chunks (one GPU thread per
 *   chunk, then one per layer), one readback of `2·layers` floats per step.
 * - **Residency:** the momentum buffer lives on the GPU across steps and
 *   crosses to the host only for {@link BackendState.snapshot}. Parameters and
 *   gradients are the caller's host arrays, so each step uploads both once (in
 *   {@link GpuJsBackend.layerNorms}; `updateNorms` and `applyUpdate` of the
 *   same step reuse that upload while the same arrays are passed) and reads
 *   the updated parameters back once, into the caller's array.
 * - **8-bit state:** a plan with 8-bit layers keeps a `GpuQuantizedState`
 *   on the device: three 8-bit codes per float32 word and one float32 absmax
 *   per 256-element block (≈1.36 bytes per element), float32 momentum for
 *   the plan's 32-bit layers. Each step recomputes b = μ·(code·absmax) + a·d
 *   from the old codes inside every kernel that needs it (new absmax per
 *   block, new codes per word, new parameters), so no float copy of the
 *   whole state exists. Snapshots read codes and absmax back exactly, so
 *   8-bit state moves between this backend and the CPU's either way.
 * - **8-bit precision:** the math is float32, the CPU's float64, so b and
 *   its quotient by absmax differ by a few float32 roundings. Thresholds are
 *   rounded toward −∞ to float32, which makes each comparison exact for the
 *   quotient the GPU has, so a code differs from the CPU's only where that
 *   quotient lies within float32 rounding of a midpoint; then by one code.
 *   The tests allow at most 1 in 2000 codes off by one, none further, and
 *   absmax within 1e-6 relative.
 * - **Failure:** the new momentum replaces the old only after the update has
 *   been read back, so a failing kernel leaves parameters and state as they
 *   were, and the optimizer can snapshot the state and move to the CPU.
 *
 * @category Backends
 */
export class GpuJsBackend implements OptimizerBackend, GpuStateHost, GpuQuantizedStateHost {
  readonly name: string;
  /** The gpu.js mode the kernels run in. */
  readonly mode: GpuJsMode;
  /** Kernel launches so far: proof that work really ran on the device. */
  launches = 0;
  /** Per-phase times, accumulated; exact only with `profile: true`. */
  readonly timings: GpuPhaseTimings = { uploadMs: 0, computeMs: 0, downloadMs: 0 };
  private readonly gpu: GPU;
  private readonly profile: boolean;
  private resources: PlanResources | null = null;
  private uploaded: Uploaded | null = null;

  /**
   * Opens a gpu.js context in `options.mode`.
   *
   * @throws Error when gpu.js cannot create that mode here.
   */
  constructor(options: GpuJsBackendOptions = {}) {
    this.mode = options.mode ?? (typeof window === 'undefined' ? 'headlessgl' : 'webgl2');
    this.name = this.mode;
    this.profile = options.profile ?? false;
    this.gpu = new GPU({ mode: this.mode });
  }

  /** The WebGL version string of the context kernels run in (e.g. `WebGL 1.0 stack-gl 8.1.6` under headless-gl), or null before any kernel ran. */
  get glVersion(): string | null {
    const context = this.resources?.kernels.upload.context;
    return context ? String(context.getParameter(context.VERSION)) : null;
  }

  /** The WebGL context the kernels render with, or null before any kernel was compiled. */
  get context(): WebGLRenderingContext | null {
    return this.resources?.kernels.upload.context ?? null;
  }

  /** Zeroes {@link GpuJsBackend.timings}. */
  resetTimings(): void {
    this.timings.uploadMs = 0;
    this.timings.computeMs = 0;
    this.timings.downloadMs = 0;
  }

  /** True for float32 only: the GPU computes in single precision. */
  supports(dtype: NumericType): boolean {
    return dtype === 'float32';
  }

  /** True for 32-bit and for 8-bit (quantized, `GpuQuantizedState`) momentum. */
  supportsStateBits(_bits: 8 | 32): boolean {
    return true;
  }

  /** A `GpuState` when every layer is 32-bit, else a `GpuQuantizedState`. */
  createState(plan: LayerPlan, dtype: NumericType): BackendState {
    if (dtype !== 'float32') throw new TypeError(`the ${this.name} backend keeps float32 state only, not ${dtype}`);
    return plan.segments.some((s) => s.stateBits === 8) ? new GpuQuantizedState(this, plan) : new GpuState(this, plan);
  }

  layerNorms(plan: LayerPlan, params: Vector, grads: Vector): Float64Array {
    const { w, g } = this.upload(plan, params, grads);
    const r = this.resources!;
    const t0 = this.sync();
    const pw = this.run(r.kernels.chunkSquares, w) as DeviceTexture;
    const pg = this.run(r.kernels.chunkSquares, g) as DeviceTexture;
    const sums = this.run(r.kernels.layerPairSums, pw, pg, r.layout.firstChunk, r.layout.chunkCount) as Float32Array;
    pw.delete();
    pg.delete();
    const out = new Float64Array(plan.segments.length * 2);
    for (let i = 0; i < out.length; i++) out[i] = sums[i];
    this.timings.computeMs += this.sync() - t0;
    // A float32 sum overflows where the CPU's float64 sum does not; such
    // layers (and NaN ones) are summed again on the host, so the result and
    // any error are exactly the CPU backend's.
    const pd = params.data;
    const gd = grads.data;
    for (const s of plan.segments) {
      if (Number.isFinite(out[2 * s.index]) && Number.isFinite(out[2 * s.index + 1])) continue;
      let ww = 0;
      let gg = 0;
      for (let i = s.start; i < s.end; i++) {
        ww += pd[i] * pd[i];
        gg += gd[i] * gd[i];
      }
      out[2 * s.index] = ww;
      out[2 * s.index + 1] = gg;
    }
    return out;
  }

  updateNorms(plan: LayerPlan, c: LayerCoefficients, params: Vector, grads: Vector, state: BackendState | null): Float64Array {
    const { w, g } = this.reuseUpload(plan, params, grads);
    if (state instanceof GpuQuantizedState) return this.updateNormsQuantized(plan, c, w, g, state);
    const r = this.resources!;
    const buf = this.bufferOf(state, r);
    const coef = packCoefficients(plan, c, state === null);
    const t0 = this.sync();
    const pu = this.run(r.kernels.chunkUpdateSquares, w, g, buf, r.layout.chunkLayer, coef) as DeviceTexture;
    return this.layerUpdateSums(pu, r, t0);
  }

  applyUpdate(plan: LayerPlan, c: LayerCoefficients, params: Vector, grads: Vector, state: BackendState | null): void {
    const { w, g } = this.reuseUpload(plan, params, grads);
    if (state instanceof GpuQuantizedState) {
      this.applyQuantized(plan, c, params, w, g, state);
      return;
    }
    const r = this.resources!;
    const buf = this.bufferOf(state, r);
    const coef = packCoefficients(plan, c, state === null);
    const t0 = this.sync();
    const next = state === null ? null : (this.run(r.kernels.updateBuffer, w, g, buf, r.layout.chunkLayer, coef) as DeviceTexture);
    try {
      const updated = this.run(r.kernels.updateParams, w, g, next ?? buf, r.layout.chunkLayer, coef) as DeviceTexture;
      this.readBackParams(updated, r, params, t0);
    } catch (error) {
      next?.delete();
      throw error;
    }
    if (next !== null) {
      const s = state as GpuState;
      s.texture.delete();
      s.texture = next;
    }
    this.dropUpload();
  }

  /** Part of `GpuQuantizedStateHost`; used by `GpuQuantizedState`. */
  quantizedLayout(plan: LayerPlan): QuantizedStateLayout {
    return this.quantizedFor(plan).layout;
  }

  /** Part of `GpuQuantizedStateHost`; used by `GpuQuantizedState`. */
  uploadQuantized(plan: LayerPlan, codes: Float32Array, absmax: Float32Array, floats: Float32Array | null): QuantizedTextures {
    const { layout, kernels } = this.quantizedFor(plan);
    const made: DeviceTexture[] = [];
    try {
      made.push(this.run(kernels.uploadCodes, input(codes, [layout.wordsPerRow, layout.rows8])) as DeviceTexture);
      made.push(this.run(kernels.uploadAbsmax, input(absmax, [layout.blocksPerRow, layout.rows8])) as DeviceTexture);
      if (floats !== null) {
        made.push(this.run(kernels.uploadFloats, input(floats, [layout.chunks.chunkSize, layout.rows32])) as DeviceTexture);
      }
    } catch (error) {
      for (const t of made) t.delete();
      throw error;
    }
    return { codes: made[0], absmax: made[1], floats: made[2] ?? null };
  }

  /** Part of `GpuStateHost`; used by `GpuState`. */
  zeroTexture(plan: LayerPlan): DeviceTexture {
    const r = this.resourcesFor(plan);
    return this.run(r.kernels.zeros) as DeviceTexture;
  }

  /** Part of `GpuStateHost`; used by `GpuState`. */
  uploadFlat(plan: LayerPlan, values: Float32Array): DeviceTexture {
    const r = this.resourcesFor(plan);
    r.layout.pack(values, r.staging);
    return this.run(r.kernels.upload, input(r.staging, [r.layout.chunkSize, r.layout.chunks])) as DeviceTexture;
  }

  /** Part of `GpuStateHost`; used by `GpuState`. */
  downloadFlat(plan: LayerPlan, texture: DeviceTexture): Float32Array {
    const r = this.resourcesFor(plan);
    const out = new Float32Array(plan.length);
    r.layout.unpack(flattenRows(texture.toArray() as Float32Array[], r.layout), out);
    return out;
  }

  /** Σu² per layer from the dequantized (or float) old momentum of a quantized state. */
  private updateNormsQuantized(plan: LayerPlan, c: LayerCoefficients, w: DeviceTexture, g: DeviceTexture, state: GpuQuantizedState): Float64Array {
    const r = this.resources!;
    const q = this.quantizedFor(plan);
    const { codes, absmax, floats } = this.checkQuantized(state, q);
    const coef = packCoefficients(plan, c, false);
    const t0 = this.sync();
    const pu = this.run(q.kernels.updateSquares, w, g, codes, absmax, floats ?? codes, q.layout.chunkRow8, q.layout.chunkRow32, r.layout.chunkLayer, coef, q.values) as DeviceTexture;
    return this.layerUpdateSums(pu, r, t0);
  }

  /** The per-layer sums of the per-chunk Σu² in `pu` (which it frees), read back; ends the compute phase started at `t0`. */
  private layerUpdateSums(pu: DeviceTexture, r: PlanResources, t0: number): Float64Array {
    let sums: Float32Array;
    try {
      sums = this.run(r.kernels.layerPairSums, pu, pu, r.layout.firstChunk, r.layout.chunkCount) as Float32Array;
    } finally {
      pu.delete();
    }
    const out = new Float64Array(r.plan.segments.length);
    for (let l = 0; l < out.length; l++) out[l] = sums[2 * l];
    this.timings.computeMs += this.sync() - t0;
    return out;
  }

  /**
   * The fused 8-bit update: new absmax per block, new codes per word, new
   * float momentum of the 32-bit rows, new parameters (read back); each
   * kernel recomputes b from the old codes. The state's textures are replaced
   * only after the parameters were read back.
   */
  private applyQuantized(plan: LayerPlan, c: LayerCoefficients, params: Vector, w: DeviceTexture, g: DeviceTexture, state: GpuQuantizedState): void {
    const r = this.resources!;
    const q = this.quantizedFor(plan);
    const { codes, absmax, floats } = this.checkQuantized(state, q);
    const { layout: L, kernels: K } = q;
    const chunkLayer = r.layout.chunkLayer;
    const coef = packCoefficients(plan, c, false);
    const t0 = this.sync();
    const made: DeviceTexture[] = [];
    let next: QuantizedTextures;
    try {
      const newAbsmax = this.run(K.blockAbsmax, w, g, codes, absmax, L.rowChunk8, chunkLayer, coef, q.values) as DeviceTexture;
      made.push(newAbsmax);
      const newCodes = this.run(K.requantize, w, g, codes, absmax, newAbsmax, L.rowChunk8, chunkLayer, coef, q.values, q.thresholds) as DeviceTexture;
      made.push(newCodes);
      let newFloats: DeviceTexture | null = null;
      if (floats !== null) {
        newFloats = this.run(K.floatBuffer, w, g, floats, L.rowChunk32, chunkLayer, coef) as DeviceTexture;
        made.push(newFloats);
      }
      const updated = this.run(K.params, w, g, codes, absmax, newFloats ?? codes, L.chunkRow8, L.chunkRow32, chunkLayer, coef, q.values) as DeviceTexture;
      this.readBackParams(updated, r, params, t0);
      next = { codes: newCodes, absmax: newAbsmax, floats: newFloats };
    } catch (error) {
      for (const t of made) t.delete();
      throw error;
    }
    state.dispose();
    state.textures = next;
    this.dropUpload();
  }

  private checkQuantized(state: GpuQuantizedState, q: QuantizedResources): QuantizedTextures {
    if (state.plan !== q.layout.plan) throw new TypeError(`the ${this.name} backend needs GPU state it created for this plan`);
    return state.textures;
  }

  /** The quantized layout and kernels of `plan`, compiled on first use and kept with the plan's resources. */
  private quantizedFor(plan: LayerPlan): QuantizedResources {
    const r = this.resourcesFor(plan);
    if (r.quantized === null) {
      const layout = new QuantizedStateLayout(r.layout);
      const tables = codeTables();
      r.quantized = { layout, kernels: compileQuantizedKernelSet(this.gpu, layout), values: tables.values, thresholds: tables.thresholds };
    }
    return r.quantized;
  }

  dispose(): void {
    this.dropUpload();
    this.dropResources();
    void this.gpu.destroy().catch(() => undefined);
  }

  /** Packs and uploads parameters and gradients; always, since the caller may have changed them since the last step. */
  private upload(plan: LayerPlan, params: Vector, grads: Vector): Uploaded {
    checkInputs(plan, params, grads, this.name);
    this.dropUpload();
    const r = this.resourcesFor(plan);
    const t0 = this.sync();
    const size = [r.layout.chunkSize, r.layout.chunks];
    r.layout.pack(params.data, r.staging);
    const w = this.run(r.kernels.upload, input(r.staging, size)) as DeviceTexture;
    r.layout.pack(grads.data, r.staging);
    const g = this.run(r.kernels.upload, input(r.staging, size)) as DeviceTexture;
    this.uploaded = { params: params.data as Float32Array, grads: grads.data as Float32Array, w, g };
    this.timings.uploadMs += this.sync() - t0;
    return this.uploaded;
  }

  /** The upload of the preceding {@link layerNorms} when it was of these same arrays, else a fresh one. */
  private reuseUpload(plan: LayerPlan, params: Vector, grads: Vector): Uploaded {
    const u = this.uploaded;
    if (u !== null && u.params === params.data && u.grads === grads.data && this.resources?.plan === plan) return u;
    return this.upload(plan, params, grads);
  }

  /** Ends the compute phase started at `t0`, reads the new parameters into the caller's array and frees their texture. */
  private readBackParams(updated: DeviceTexture, r: PlanResources, params: Vector, t0: number): void {
    const t1 = this.sync();
    this.timings.computeMs += t1 - t0;
    try {
      r.layout.unpack(flattenRows(updated.toArray() as Float32Array[], r.layout), params.data as Float32Array);
    } finally {
      updated.delete();
    }
    this.timings.downloadMs += this.sync() - t1;
  }

  private dropUpload(): void {
    if (this.uploaded === null) return;
    this.uploaded.w.delete();
    this.uploaded.g.delete();
    this.uploaded = null;
  }

  /** Layout, kernels and staging memory for `plan`, compiled on first use and kept while the plan stays. */
  private resourcesFor(plan: LayerPlan): PlanResources {
    if (this.resources?.plan === plan) return this.resources;
    this.dropUpload();
    this.dropResources();
    const layout = new ChunkLayout(plan);
    this.resources = {
      plan,
      layout,
      kernels: compileKernelSet(this.gpu, layout),
      staging: new Float32Array(layout.paddedLength),
      zeros: null,
      quantized: null,
    };
    return this.resources;
  }

  private dropResources(): void {
    if (this.resources === null) return;
    this.resources.zeros?.delete();
    destroyKernelSet(this.resources.kernels);
    if (this.resources.quantized !== null) destroyKernelSet(this.resources.quantized.kernels);
    this.resources = null;
  }

  private bufferOf(state: BackendState | null, r: PlanResources): DeviceTexture {
    if (state === null) return (r.zeros ??= this.run(r.kernels.zeros) as DeviceTexture);
    if (!(state instanceof GpuState) || state.plan.length !== r.plan.length) {
      throw new TypeError(`the ${this.name} backend needs GPU state it created for this plan`);
    }
    return state.texture;
  }

  private run(kernel: (...args: unknown[]) => unknown, ...args: unknown[]): unknown {
    this.launches++;
    return kernel(...args);
  }

  /** Now, in ms; with `profile`, first waits until the GPU has finished all queued work. */
  private sync(): number {
    if (this.profile) this.resources?.kernels.upload.context.finish();
    return performance.now();
  }
}

/** gpu.js's `input()` (its typings declare it as a type only): a host array seen as a matrix of `size`. */
const input = (gpuJs as unknown as { input: (value: Float32Array, size: number[]) => unknown }).input;

/** Rejects vectors that do not fit the plan, as the CPU path would, before anything is uploaded. */
function checkInputs(plan: LayerPlan, params: Vector, grads: Vector, name: string): void {
  if (params.length !== plan.length || grads.length !== plan.length) {
    throw new OptimizerInputError(
      'length-mismatch',
      `the plan has ${plan.length} elements, but the parameters have ${params.length} and the gradient ${grads.length}`,
    );
  }
  if (params.dtype !== 'float32' || grads.dtype !== 'float32') {
    throw new TypeError(`the ${name} backend computes in float32 only, got ${params.dtype} and ${grads.dtype}`);
  }
}

/** The coefficients as the kernels read them: a `[8, layers]` float32 matrix (see kernelSources). */
function packCoefficients(plan: LayerPlan, c: LayerCoefficients, noBuffer: boolean) {
  const layers = plan.segments.length;
  const m = new Float32Array(layers * 8);
  for (let l = 0; l < layers; l++) {
    m[8 * l] = c.gradScale[l];
    m[8 * l + 1] = c.decay[l];
    m[8 * l + 2] = c.bufferMomentum[l];
    m[8 * l + 3] = c.bufferGain[l];
    // Without state the buffer term is absent, as on the CPU (b·0 with a zero stand-in buffer).
    m[8 * l + 4] = noBuffer ? 0 : c.fromBuffer[l];
    m[8 * l + 5] = c.fromDirection[l];
    m[8 * l + 6] = c.stepScale[l];
  }
  return input(m, [8, layers]);
}

/** The rows of a 2-D readback as one padded flat array; no copy when gpu.js returned views of one buffer. */
function flattenRows(rows: Float32Array[], layout: ChunkLayout): Float32Array {
  const n = layout.paddedLength;
  const first = rows[0];
  const oneBuffer =
    rows.length === layout.chunks &&
    first.byteOffset === 0 &&
    first.buffer.byteLength >= n * 4 &&
    (rows.length < 2 || (rows[1].buffer === first.buffer && rows[1].byteOffset === layout.chunkSize * 4));
  if (oneBuffer) return new Float32Array(first.buffer, 0, n);
  const out = new Float32Array(n);
  rows.forEach((row, k) => out.set(row.subarray(0, layout.chunkSize), k * layout.chunkSize));
  return out;
}
