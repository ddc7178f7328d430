import { wasmModuleCache } from '../../util/wasmModuleCache.js';
import type { WasmCodeBook } from './WasmCodeBook.js';
import { KERNELS_PLAIN_BASE64, KERNELS_SHARED_BASE64 } from './generated/kernelsWasm.js';

/**
 * The exports of the kernel module (source: scripts/wasm/kernelsWat.mjs).
 * Addresses are byte offsets into the imported memory, `n` counts elements,
 * coefficients arrive as float64 and the float32 kernels round them to float32.
 *
 * @category Backends
 */
export interface KernelExports {
  /** Copies `n` bytes from `src` to `dst` (memory.copy; the ranges may overlap). */
  copy_bytes(dst: number, src: number, n: number): void;
  /** Writes Σw² and Σg² of float32 data, summed in float64, as two f64 at `out`. */
  norms_f32(w: number, g: number, n: number, out: number): void;
  /** As {@link KernelExports.norms_f32}, for float64 data. */
  norms_f64(w: number, g: number, n: number, out: number): void;
  /** Σu² (float64 sum) of the update the fused kernel would make; `buf` 0 means no momentum buffer. */
  unorm_f32(w: number, g: number, buf: number, n: number, gs: number, wd: number, mu: number, a: number, cb: number, cd: number): number;
  /** As {@link KernelExports.unorm_f32}, for float64 data. */
  unorm_f64(w: number, g: number, buf: number, n: number, gs: number, wd: number, mu: number, a: number, cb: number, cd: number): number;
  /** {@link KernelExports.norms_f32} over one part of a layer, continuing the sums at `carry` (zeroed before the first part). */
  norms_part_f32(w: number, g: number, n: number, carry: number): void;
  /** As {@link KernelExports.norms_part_f32}, for float64 data. */
  norms_part_f64(w: number, g: number, n: number, carry: number): void;
  /** Writes Σw² and Σg² of the parts summed at `carry` to `out`, as {@link KernelExports.norms_f32} would for the whole layer. */
  norms_finish_f32(carry: number, out: number): void;
  /** As {@link KernelExports.norms_finish_f32}, for float64 data. */
  norms_finish_f64(carry: number, out: number): void;
  /** The fused update with a momentum buffer, in place, float32 data in float64 arithmetic (as the JS loops). */
  update_f32(w: number, g: number, buf: number, n: number, gs: number, wd: number, mu: number, a: number, cb: number, cd: number, step: number): void;
  /** As {@link KernelExports.update_f32} with fromBuffer 1 and fromDirection 0 (plain momentum): w ← w − step·b. */
  update_momentum_f32(w: number, g: number, buf: number, n: number, gs: number, wd: number, mu: number, a: number, step: number): void;
  /** As {@link KernelExports.update_momentum_f32}, in float64 arithmetic. */
  update_momentum_f64(w: number, g: number, buf: number, n: number, gs: number, wd: number, mu: number, a: number, step: number): void;
  /** As {@link KernelExports.update_f32}, in float64 arithmetic. */
  update_f64(w: number, g: number, buf: number, n: number, gs: number, wd: number, mu: number, a: number, cb: number, cd: number, step: number): void;
  /** The update without momentum: w ← w − step·cd·(gs·g + wd·w), float32. */
  update_nobuf_f32(w: number, g: number, n: number, gs: number, wd: number, cd: number, step: number): void;
  /** As {@link KernelExports.update_nobuf_f32}, float64. */
  update_nobuf_f64(w: number, g: number, n: number, gs: number, wd: number, cd: number, step: number): void;
  /**
   * The fused update of one layer with 8-bit state (source:
   * scripts/wasm/quantizedWat.mjs), float32 parameters, float64 arithmetic:
   * `q` its codes, `s` its absmax per 256-element block, `book` a
   * {@link WasmCodeBook}, `scratch` 512 f64 of room (two blocks).
   */
  update_q8_f32(w: number, g: number, q: number, s: number, n: number, book: number, scratch: number,
    gs: number, wd: number, mu: number, a: number, cb: number, cd: number, step: number): void;
  /** As {@link KernelExports.update_q8_f32}, float64 parameters. */
  update_q8_f64(w: number, g: number, q: number, s: number, n: number, book: number, scratch: number,
    gs: number, wd: number, mu: number, a: number, cb: number, cd: number, step: number): void;
  /** Σu² (sequential float64 sum) of the update {@link KernelExports.update_q8_f32} would make, changing nothing. */
  unorm_q8_f32(w: number, g: number, q: number, s: number, n: number, book: number, gs: number, wd: number, mu: number, a: number, cb: number, cd: number): number;
  /** As {@link KernelExports.unorm_q8_f32}, float64 parameters. */
  unorm_q8_f64(w: number, g: number, q: number, s: number, n: number, book: number, gs: number, wd: number, mu: number, a: number, cb: number, cd: number): number;
}

const kernelsModules = wasmModuleCache(KERNELS_PLAIN_BASE64, KERNELS_SHARED_BASE64);

/**
 * The compiled kernel module for a shared or an ordinary memory, or null when
 * this runtime cannot compile it (no WebAssembly, no SIMD, or no shared
 * memory). Compiled once per kind; the module is about 6 KB.
 *
 * @category Backends
 */
export function kernelModule(shared: boolean): WebAssembly.Module | null {
  return kernelsModules(shared);
}

/**
 * Instantiates the kernels over `memory` (which must match the module's kind).
 *
 * @category Backends
 */
export function instantiateKernels(module: WebAssembly.Module, memory: WebAssembly.Memory): KernelExports {
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  return instance.exports as unknown as KernelExports;
}
