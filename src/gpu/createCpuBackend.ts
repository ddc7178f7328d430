import { WasmBackend } from '../wasm/WasmBackend.js';
import { CpuBackend } from './CpuBackend.js';
import type { OptimizerBackend } from './OptimizerBackend.js';

/**
 * The fastest CPU backend this runtime supports: the WebAssembly SIMD backend
 * ({@link WasmBackend}) when WebAssembly SIMD is available, else the plain
 * JavaScript loops ({@link CpuBackend}).
 */
export function createCpuBackend(): OptimizerBackend {
  return WasmBackend.create() ?? new CpuBackend();
}
