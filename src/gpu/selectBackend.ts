import type { BackendChoice } from '../options/GradientBasedOptimizerOptions.js';
import { createCpuBackend } from './createCpuBackend.js';
import type { OptimizerBackend } from './OptimizerBackend.js';
import { probeGpuBackend } from './probeGpuBackend.js';

/** Thrown when `backend: 'gpu'` is asked for and no GPU backend can run; the message says why. */
export class BackendUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackendUnavailableError';
  }
}

/**
 * Picks the backend for a choice:
 * - `'cpu'`: the fastest CPU backend;
 * - `'auto'`: a hardware GPU backend when one is available and passes its self-check, else the CPU
 *   (a software rasterizer such as Mesa llvmpipe is slower than the CPU, so `'auto'` skips it);
 * - `'gpu'`: a GPU backend, software rasterizers included, or a {@link BackendUnavailableError} naming the reason.
 */
export function selectBackend(choice: BackendChoice): OptimizerBackend {
  if (choice === 'cpu') return createCpuBackend();
  // 'auto' declines software rasterizers (slower than the CPU); an explicit 'gpu' takes them.
  const probe = probeGpuBackend({ allowSoftware: choice === 'gpu' });
  if ('backend' in probe) return probe.backend;
  if (choice === 'gpu') throw new BackendUnavailableError(`backend "gpu" cannot run: ${probe.reason}`);
  return createCpuBackend();
}
