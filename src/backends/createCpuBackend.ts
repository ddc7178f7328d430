import { WasmBackend } from './wasm/WasmBackend.js';
import type { WasmThreadOptions } from './wasm/WasmThreadPool.js';
import { CpuBackend } from './js/CpuBackend.js';
import type { OptimizerBackend } from '../core/OptimizerBackend.js';

/**
 * The fastest CPU backend this runtime supports: the WebAssembly SIMD backend
 * ({@link WasmBackend}) when WebAssembly SIMD is available, else the plain
 * JavaScript loops ({@link CpuBackend}).
 *
 * @param threads - opt in to worker threads ({@link WasmBackend.createThreaded}) with these options; by default
 *   the backend runs on the calling thread only: two threads help only when a core is free (see the README).
 *
 * @category Backends
 */
export function createCpuBackend(threads: WasmThreadOptions | null = null): OptimizerBackend {
  return (threads === null ? WasmBackend.create() : WasmBackend.createThreaded(threads)) ?? new CpuBackend();
}
