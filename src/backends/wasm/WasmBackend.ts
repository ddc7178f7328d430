import { bytesPerElement, type NumericType } from '../../numeric/NumericType.js';
import { Vector } from '../../numeric/Vector.js';
import { isPlainMomentum, type LayerCoefficients } from '../../core/LayerCoefficients.js';
import type { LayerPlan } from '../../core/LayerPlan.js';
import type { BackendState, OptimizerBackend } from '../../core/OptimizerBackend.js';
import { PartialStepError } from '../../core/PartialStepError.js';
import { instantiateKernels, kernelModule, type KernelExports } from './kernelModule.js';
import { WasmCodeBook } from './WasmCodeBook.js';
import { WasmHeap } from './WasmHeap.js';
import { layerMomentum } from './layerMomentum.js';
import { recycleHeap, takeRecycledHeap } from './heapRecycler.js';
import { WasmQuantizedState } from './WasmQuantizedState.js';
import { WasmState } from './WasmState.js';
import { WasmThreadPool, type WasmThreadOptions } from './WasmThreadPool.js';

/** A staging block for operands that arrive as ordinary vectors. */
interface Staging {
  address: number;
  bytes: number;
}

/** Where {@link WasmBackend.layerNorms} left copies of ordinary operands (byte addresses; in place for the others). */
interface Staged {
  readonly plan: LayerPlan;
  readonly params: Float32Array | Float64Array;
  readonly grads: Float32Array | Float64Array;
  readonly w: number;
  readonly g: number;
}

/**
 * Elements per chunk when ordinary vectors are copied in (and the parameters
 * back out) chunk by chunk: a multiple of every kernel's 16-element turn (so
 * the sums of a chunked layer are bit-identical to one call), 128–256 KiB per
 * operand, so a chunk is still in the L2 cache when the kernel reads it.
 * 16K, 32K and 64K measured alike at 25M parameters; 4K was slower.
 */
const STAGING_CHUNK = 32768;
/**
 * Spare bytes of each staging block, so that a copy can start at the same
 * offset within a 64-byte line as its source: V8 copies to and from a shared
 * memory word by word, and byte by byte when source and target are aligned
 * differently (measured about 2× slower for a whole step at 25M parameters).
 */
const WINDOW_SLACK = 64;
/** Bytes of the block that carries a kernel's partial sums from one chunk to the next. */
const CARRY_BYTES = 512;

/**
 * The CPU backend at memory speed: WebAssembly SIMD kernels (f64x2
 * arithmetic; float32 data is widened two elements at a time), one pass for the per-layer norms and one fused
 * pass for decay, momentum and update.
 *
 * Zero copies when the data lives in its memory: vectors from
 * {@link WasmBackend.allocateVector} (and the momentum state, always) are read
 * and written in place. Ordinary vectors work too: {@link WasmBackend.layerNorms}
 * copies them into WebAssembly memory chunk by chunk and sums each chunk
 * while it is in cache; `updateNorms` and `applyUpdate` reuse that copy
 * while they get the same arrays and plan (the arrays must not change in
 * between, as within one optimizer step; other arrays are copied afresh), and the update copies each chunk of the
 * parameters back right after updating it. Results are bit-identical to the
 * zero-copy step; at 25M parameters such a step still costs about twice the
 * zero-copy one (see `npm run bench`).
 *
 * Layers with 8-bit momentum (`optimBits: 8`) keep their codes and absmax in
 * the same memory (`WasmQuantizedState`, the code book beside them in a
 * `WasmCodeBook`) and are updated one 256-element block at a time:
 * dequantize, update, requantize with a fresh absmax, two elements per turn
 * in float64 (f64x2) with the code look-ups one at a time. The 32-bit layers
 * of such a plan use the float kernels below, on their packed values.
 *
 * Precision, against the plain JS {@link CpuBackend}:
 * - 8-bit layers, float32 and float64: the kernels do the same float64
 *   operations in the same order as the JS loops (float32 values promoted on
 *   load, rounded once on store; Σu² summed in order), so parameters, codes,
 *   absmax and update norms are bit-identical for the same coefficients
 *   (whole optimizer steps can still differ through the norms below);
 * - norms, and Σu² of 32-bit layers, accumulate in float64 for both types, in up to 16
 *   interleaved partial sums (JS sums in order), so they differ by at most n·2⁻⁵³
 *   relative (n the layer size);
 * - the update does the same float64 operations in the same order as JS for
 *   both types (float32 values promoted on load and rounded once on store,
 *   coefficients kept in float64), so parameters and momentum are
 *   bit-identical, and a direction g + wd·w that float64 holds never
 *   overflows to ±Infinity near the float32 maximum.
 *
 * @category Backends
 */
export class WasmBackend implements OptimizerBackend {
  readonly name: string = 'wasm-simd';
  /** The memory and allocator holding vectors and state. */
  readonly heap: WasmHeap;
  private readonly k: KernelExports;
  private readonly staging: [Staging | null, Staging | null, Staging | null] = [null, null, null];
  /** The ordinary operands the last {@link WasmBackend.layerNorms} staged, for the rest of that step. */
  private staged: Staged | null = null;
  private readonly owned = new WeakMap<Float32Array | Float64Array, number>();
  private book: WasmCodeBook | null = null;
  // --- worker threads (see WasmThreadPool): null unless createThreaded started some ---
  private pool: WasmThreadPool | null = null;
  private disposed = false;

  private constructor(heap: WasmHeap, kernels: KernelExports) {
    this.heap = heap;
    this.k = kernels;
  }

  /**
   * A WebAssembly backend, or null when this runtime lacks WebAssembly SIMD.
   * It uses a shared memory when `SharedArrayBuffer` exists (so
   * {@link WasmBackend.allocateVector} can hand out views), else an ordinary one.
   * A shared memory that a disposed backend left empty is reused (see {@link WasmBackend.dispose}).
   *
   * @param shared - force an ordinary memory with `false`. Default: shared when possible.
   */
  static create(shared: boolean = typeof SharedArrayBuffer === 'function'): WasmBackend | null {
    for (const kind of shared ? [true, false] : [false]) {
      const module = kernelModule(kind);
      if (module === null) continue;
      try {
        const heap = (kind ? takeRecycledHeap() : null) ?? new WasmHeap(kind);
        return new WasmBackend(heap, instantiateKernels(module, heap.memory));
      } catch {
        // e.g. no address space for a shared memory: try the next kind.
      }
    }
    return null;
  }

  /**
   * A WebAssembly backend whose steps also run on worker threads over its
   * shared memory (see `WasmThreadPool`), for zero-copy vectors of at
   * least `minElements` elements (or ordinary ones that `layerNorms` staged
   * for the step), with 32-bit or 8-bit momentum alike (parameters, momentum,
   * codes and absmax bit-identical to one thread, Σu² of a layer that spans
   * several chunks within 2n·2⁻⁵³ relative); anything else runs on the calling thread as
   * in {@link WasmBackend.create}. Falls back to one thread where this runtime
   * has no worker threads or may not block (a browser's main thread). Null
   * when WebAssembly SIMD is missing.
   */
  static createThreaded(options: WasmThreadOptions = {}): WasmBackend | null {
    const backend = WasmBackend.create();
    const module = kernelModule(true);
    if (backend === null || module === null || !backend.heap.shared) return backend;
    backend.pool = WasmThreadPool.start(backend.heap, module, options);
    return backend;
  }

  /** The worker threads of a backend from {@link WasmBackend.createThreaded}, null for none. */
  get threads(): WasmThreadPool | null {
    return this.pool;
  }

  /** Whether this call goes to the worker threads: zero-copy operands, state of this backend (32-bit or 8-bit), a long enough plan. */
  private threaded(plan: LayerPlan, params: Vector, grads: Vector, state: BackendState | null): boolean {
    return this.pool !== null && this.pool.accepts(plan) && params.length === plan.length && grads.length === plan.length
      && this.heap.addressOf(params.data) !== null && this.heap.addressOf(grads.data) !== null && this.threadableState(state, params.dtype);
  }

  /** Whether the worker threads can update `state`: none, or a `WasmState`/`WasmQuantizedState` of this memory and type. */
  private threadableState(state: BackendState | null, dtype: NumericType): boolean {
    return state === null || ((state instanceof WasmState || state instanceof WasmQuantizedState) && state.heap === this.heap && state.dtype === dtype);
  }

  /** The code book's address for the worker threads when `state` has 8-bit layers (copied into memory on first use), else 0. */
  private bookFor(state: WasmState | WasmQuantizedState | null): number {
    return state instanceof WasmQuantizedState ? this.book!.address : 0;
  }
  // --- end of worker threads ---

  supports(_dtype: NumericType): boolean {
    return true;
  }

  /** Both: 32-bit state in `WasmState`, 8-bit layers in `WasmQuantizedState`, updated by WebAssembly kernels. */
  supportsStateBits(_bits: 8 | 32): boolean {
    return true;
  }

  /** Whether {@link WasmBackend.allocateVector} hands out views of WebAssembly memory (a shared memory), not ordinary vectors. */
  get placesVectors(): boolean {
    return this.heap.shared;
  }

  /**
   * A zero vector in WebAssembly memory: steps on it copy nothing. It stays
   * valid as the memory grows and after the backend is disposed (the memory
   * lives as long as a view of it). With an ordinary (non-shared) memory,
   * whose views growth would detach, it is an ordinary vector instead.
   */
  allocateVector<T extends NumericType>(length: number, dtype: T): Vector<T> {
    if (!this.heap.shared) return Vector.zeros(length, dtype);
    const bytes = length * bytesPerElement(dtype);
    const data = this.heap.view(dtype, this.heap.allocate(bytes), length);
    this.owned.set(data, bytes);
    return new Vector<T>(data);
  }

  /** Lost worker threads since the last call (the steps they were in completed on the calling thread). */
  takeWarnings(): string[] {
    return this.pool?.takeWarnings() ?? [];
  }

  /** Gives the memory of a vector from {@link WasmBackend.allocateVector} back; the vector must not be used afterwards. */
  releaseVector(vector: Vector): void {
    const bytes = this.owned.get(vector.data);
    if (bytes === undefined) return;
    this.owned.delete(vector.data);
    this.heap.release(vector.data.byteOffset, bytes);
  }

  /**
   * A `WasmState` when every layer is 32-bit, else a
   * `WasmQuantizedState` (the first step on one copies the code book into memory).
   */
  createState(plan: LayerPlan, dtype: NumericType): BackendState {
    return plan.segments.some((s) => s.stateBits === 8) ? new WasmQuantizedState(this.heap, plan, dtype) : new WasmState(this.heap, plan, dtype);
  }

  layerNorms(plan: LayerPlan, params: Vector, grads: Vector): Float64Array {
    this.staged = null;
    if (this.threaded(plan, params, grads, null)) return this.pool!.layerNorms(plan, params.dtype, params.data.byteOffset, grads.data.byteOffset);
    const f32 = params.dtype === 'float32';
    const size = bytesPerElement(params.dtype);
    const out = new Float64Array(plan.segments.length * 2);
    const scratch = (): Float64Array => this.heap.view('float64', 0, 2);
    const pw = this.heap.addressOf(params.data);
    const pg = this.heap.addressOf(grads.data);
    if (pw !== null && pg !== null) {
      const kernel = f32 ? this.k.norms_f32 : this.k.norms_f64;
      for (const s of plan.segments) {
        kernel(pw + s.start * size, pg + s.start * size, s.end - s.start, 0);
        out[2 * s.index] = scratch()[0];
        out[2 * s.index + 1] = scratch()[1];
      }
      return out;
    }
    // An ordinary operand is copied into its staging block chunk by chunk, and
    // each chunk is summed while it is still in cache; the rest of the step reuses the copy.
    const w = pw ?? this.stagingFor(params, 0);
    const g = pg ?? this.stagingFor(grads, 1);
    const carry = this.stage(2, CARRY_BYTES);
    const part = f32 ? this.k.norms_part_f32 : this.k.norms_part_f64;
    const finish = f32 ? this.k.norms_finish_f32 : this.k.norms_finish_f64;
    const memory = this.heap.view(params.dtype, 0, this.heap.memory.buffer.byteLength / size);
    for (const s of plan.segments) {
      this.clearCarry(carry);
      for (let i = s.start; i < s.end; i += STAGING_CHUNK) {
        const n = Math.min(STAGING_CHUNK, s.end - i);
        if (pw === null) memory.set(params.data.subarray(i, i + n), w / size + i);
        if (pg === null) memory.set(grads.data.subarray(i, i + n), g / size + i);
        part(w + i * size, g + i * size, n, carry);
      }
      finish(carry, 0);
      out[2 * s.index] = scratch()[0];
      out[2 * s.index + 1] = scratch()[1];
    }
    this.staged = { plan, params: params.data, grads: grads.data, w, g };
    return out;
  }

  updateNorms(plan: LayerPlan, c: LayerCoefficients, params: Vector, grads: Vector, state: BackendState | null): Float64Array {
    if (this.threaded(plan, params, grads, state)) {
      const own = this.ownState(state);
      return this.pool!.updateNorms(plan, c, params.dtype, params.data.byteOffset, grads.data.byteOffset, own, this.bookFor(own));
    }
    const staged = this.threadedStaged(plan, params, grads, state);
    if (staged !== null) {
      const own = this.ownState(state);
      return this.pool!.updateNorms(plan, c, params.dtype, staged.w, staged.g, own, this.bookFor(own));
    }
    const f32 = params.dtype === 'float32';
    const size = bytesPerElement(params.dtype);
    const own = this.ownState(state);
    const [w, g] = this.operands(plan, params, grads);
    const out = new Float64Array(plan.segments.length);
    for (const s of plan.segments) {
      const l = s.index;
      const o = s.start * size;
      const n = s.end - s.start;
      const b = layerMomentum(own, s, size);
      if (b.bits === 8) {
        out[l] = (f32 ? this.k.unorm_q8_f32 : this.k.unorm_q8_f64)(w + o, g + o, b.codes, b.absmax, n, this.book!.address,
          c.gradScale[l], c.decay[l], c.bufferMomentum[l], c.bufferGain[l], c.fromBuffer[l], c.fromDirection[l]);
      } else {
        out[l] = (f32 ? this.k.unorm_f32 : this.k.unorm_f64)(w + o, g + o, b.bits === 32 ? b.buf : 0, n,
          c.gradScale[l], c.decay[l], c.bufferMomentum[l], c.bufferGain[l], c.fromBuffer[l], c.fromDirection[l]);
      }
    }
    return out;
  }

  applyUpdate(plan: LayerPlan, c: LayerCoefficients, params: Vector, grads: Vector, state: BackendState | null): void {
    if (this.threaded(plan, params, grads, state)) {
      this.staged = null;
      const own = this.ownState(state);
      return this.pool!.applyUpdate(plan, c, params.dtype, params.data.byteOffset, grads.data.byteOffset, own, this.bookFor(own));
    }
    const staged = this.threadedStaged(plan, params, grads, state);
    if (staged !== null) {
      this.staged = null;
      const own = this.ownState(state);
      // The worker threads update the staged copies; the parameters are then copied back whole.
      this.pool!.applyUpdate(plan, c, params.dtype, staged.w, staged.g, own, this.bookFor(own));
      if (this.heap.addressOf(params.data) === null) params.data.set(this.heap.view(params.dtype, staged.w, params.length));
      return;
    }
    const size = bytesPerElement(params.dtype);
    const own = this.ownState(state);
    const [w, g] = this.operands(plan, params, grads);
    this.staged = null;
    const copyBack = this.heap.addressOf(params.data) === null;
    const memory = copyBack ? this.heap.view(params.dtype, 0, this.heap.memory.buffer.byteLength / size) : null;
    let done = 0;
    let copied = false;
    try {
      for (const s of plan.segments) {
        const l = s.index;
        const b = layerMomentum(own, s, size);
        if (b.bits === 8) {
          const book = this.book!;
          const o = s.start * size;
          (params.dtype === 'float32' ? this.k.update_q8_f32 : this.k.update_q8_f64)(w + o, g + o, b.codes, b.absmax, s.end - s.start, book.address, book.scratch,
            c.gradScale[l], c.decay[l], c.bufferMomentum[l], c.bufferGain[l], c.fromBuffer[l], c.fromDirection[l], c.stepScale[l]);
          if (memory !== null) {
            copied = true;
            params.data.set(memory.subarray(w / size + s.start, w / size + s.end), s.start);
          }
        } else {
          // Chunk by chunk, so that each updated chunk is copied back while it is in cache.
          const step = memory === null ? s.end - s.start : STAGING_CHUNK;
          for (let i = s.start; i < s.end; i += step) {
            const n = Math.min(step, s.end - i);
            this.updateFloat(params.dtype, c, l, w + i * size, g + i * size, b.bits === 32 ? b.buf + (i - s.start) * size : 0, n);
            if (memory !== null) {
              copied = true;
              params.data.set(memory.subarray(w / size + i, w / size + i + n), i);
            }
          }
        }
        done++;
      }
    } catch (error) {
      // Only the staging copy was written: an ordinary failure that another backend may retry.
      if (own === null && copyBack && !copied) throw error;
      throw new PartialStepError(`the WebAssembly update failed at layer ${done} (${(error as Error).message})`, { cause: error });
    }
  }

  /** The full-precision update of `n` elements of layer `l` at these addresses (`buf` 0: no momentum). */
  private updateFloat(dtype: NumericType, c: LayerCoefficients, l: number, w: number, g: number, buf: number, n: number): void {
    const f32 = dtype === 'float32';
    if (buf === 0) {
      (f32 ? this.k.update_nobuf_f32 : this.k.update_nobuf_f64)(w, g, n, c.gradScale[l], c.decay[l], c.fromDirection[l], c.stepScale[l]);
    } else if (isPlainMomentum(c, l)) {
      (f32 ? this.k.update_momentum_f32 : this.k.update_momentum_f64)(w, g, buf, n, c.gradScale[l], c.decay[l],
        c.bufferMomentum[l], c.bufferGain[l], c.stepScale[l]);
    } else {
      (f32 ? this.k.update_f32 : this.k.update_f64)(w, g, buf, n, c.gradScale[l], c.decay[l],
        c.bufferMomentum[l], c.bufferGain[l], c.fromBuffer[l], c.fromDirection[l], c.stepScale[l]);
    }
  }

  /**
   * The copies {@link WasmBackend.layerNorms} staged of these same arrays and
   * plan when the worker threads take this call (32-bit or 8-bit state of
   * this backend, a long enough plan), else null: the threads then work on the
   * staged copies as on zero-copy vectors.
   */
  private threadedStaged(plan: LayerPlan, params: Vector, grads: Vector, state: BackendState | null): Staged | null {
    const st = this.staged;
    if (this.pool === null || !this.pool.accepts(plan) || st === null || st.plan !== plan || st.params !== params.data || st.grads !== grads.data) return null;
    return this.threadableState(state, params.dtype) ? st : null;
  }

  /**
   * The addresses of the parameters and gradients: the staged copies of the
   * preceding {@link WasmBackend.layerNorms} when it was of these same arrays
   * and plan (as within one optimizer step), else in place or fresh copies.
   */
  private operands(plan: LayerPlan, params: Vector, grads: Vector): [number, number] {
    const st = this.staged;
    if (st !== null && st.plan === plan && st.params === params.data && st.grads === grads.data) return [st.w, st.g];
    this.staged = null;
    return [this.operand(params, 0), this.operand(grads, 1)];
  }

  /**
   * The staging block in `slot` for all of `vector`, starting at the same
   * offset within a 64-byte line as its data (see {@link WINDOW_SLACK}).
   */
  private stagingFor(vector: Vector, slot: 0 | 1): number {
    return this.stage(slot, vector.data.byteLength + WINDOW_SLACK) + (vector.data.byteOffset & (WINDOW_SLACK - 1));
  }

  /** Zeroes the partial sums at `carry`. */
  private clearCarry(carry: number): void {
    new Uint8Array(this.heap.memory.buffer, carry, CARRY_BYTES).fill(0);
  }

  /** A staging block of at least `bytes` bytes in `slot` (kept and reused); its address. */
  private stage(slot: 0 | 1 | 2, bytes: number): number {
    let s = this.staging[slot];
    if (s === null || s.bytes < bytes) {
      if (s !== null) this.heap.release(s.address, s.bytes);
      s = { address: this.heap.allocate(bytes), bytes };
      this.staging[slot] = s;
    }
    return s.address;
  }

  /**
   * Frees everything at once: stops the worker threads, gives the staging
   * blocks and code book back, and, when nothing else lives in the memory
   * (no vector from {@link WasmBackend.allocateVector}, no state), keeps the
   * emptied memory for the next backend, since V8 would not collect a shared
   * memory soon. Vectors from `allocateVector` stay valid and keep their memory.
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.staged = null;
    this.pool?.dispose();
    for (let i = 0; i < this.staging.length; i++) {
      const s = this.staging[i];
      if (s !== null) this.heap.release(s.address, s.bytes);
      this.staging[i] = null;
    }
    this.book?.release();
    this.book = null;
    if (this.heap.liveBlocks === 0) recycleHeap(this.heap);
  }

  /** The address of `vector`'s data: in place when it lives in this memory, else a staging copy of the whole vector. */
  private operand(vector: Vector, slot: 0 | 1): number {
    const address = this.heap.addressOf(vector.data);
    if (address !== null) return address;
    const staged = this.stagingFor(vector, slot);
    this.heap.view(vector.dtype, staged, vector.length).set(vector.data);
    return staged;
  }

  /** `state`, checked to be one this backend created (null for none); an 8-bit state gets the code book into memory. */
  private ownState(state: BackendState | null): WasmState | WasmQuantizedState | null {
    if (state === null) return null;
    if (!(state instanceof WasmState || state instanceof WasmQuantizedState) || state.heap !== this.heap) {
      throw new TypeError('the WebAssembly backend needs state it created itself');
    }
    if (state instanceof WasmQuantizedState) this.book ??= new WasmCodeBook(this.heap);
    return state;
  }
}
