import type { BackendChoice } from '../options/GradientBasedOptimizerOptions.js';
import { createCpuBackend } from './createCpuBackend.js';
import type { OptimizerBackend } from '../core/OptimizerBackend.js';
import type { WasmThreadOptions } from './wasm/WasmThreadPool.js';
import { probeGpuBackend } from './gpujs/probeGpuBackend.js';

/**
 * Thrown when `backend: 'gpu'` is asked for and no GPU backend can run; the message says why.
 *
 * @category Errors
 */
export class BackendUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackendUnavailableError';
  }
}

/**
 * Picks the backend for a choice:
 * - `'cpu'`: the fastest CPU backend, on `cpuThreads` threads (see the option);
 * - `'auto'`: a hardware GPU backend when one is available and passes its self-check, else the CPU
 *   (a software rasterizer such as Mesa llvmpipe is slower than the CPU, so `'auto'` skips it);
 * - `'gpu'`: a GPU backend, software rasterizers included, or a {@link BackendUnavailableError} naming the reason.
 *
 * @category Backends
 */
export function selectBackend(choice: BackendChoice, cpuThreads: CpuThreads = 1): OptimizerBackend {
  if (choice === 'cpu') return createCpuBackend(threadOptions(cpuThreads));
  // 'auto' declines software rasterizers (slower than the CPU); an explicit 'gpu' takes them.
  const probe = probeGpuBackend({ allowSoftware: choice === 'gpu' });
  if ('backend' in probe) return probe.backend;
  if (choice === 'gpu') throw new BackendUnavailableError(`backend "gpu" cannot run: ${probe.reason}`);
  return createCpuBackend(threadOptions(cpuThreads));
}

/**
 * The `cpuThreads` option: 1, a thread count, or `'auto'` for one per core.
 *
 * @category Backends
 */
export type CpuThreads = number | 'auto';

/**
 * {@link createCpuBackend}'s thread options for a `cpuThreads` value: null (one thread) for 1.
 *
 * @category Backends
 */
export function threadOptions(cpuThreads: CpuThreads): WasmThreadOptions | null {
  return cpuThreads === 1 ? null : { threads: cpuThreads };
}
