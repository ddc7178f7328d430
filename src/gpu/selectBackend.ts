import type { BackendChoice } from '../options/GradientBasedOptimizerOptions.js';
import { CpuBackend } from './CpuBackend.js';
import type { OptimizerBackend } from './OptimizerBackend.js';

/** Thrown when `backend: 'gpu'` is asked for and no GPU backend can run; the message says why. */
export class BackendUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackendUnavailableError';
  }
}

/**
 * Picks the backend for a choice:
 * - `'cpu'`: the CPU fallback;
 * - `'auto'`: a GPU backend when one is available and passes its self-check, else the CPU;
 * - `'gpu'`: a GPU backend, or a {@link BackendUnavailableError} naming the reason.
 */
export function selectBackend(choice: BackendChoice): OptimizerBackend {
  if (choice === 'gpu') {
    throw new BackendUnavailableError('backend "gpu" is not available: no GPU backend is built into this version of lars-ts');
  }
  return new CpuBackend();
}
