import { CpuBackend } from './CpuBackend.js';
import type { OptimizerBackend } from './OptimizerBackend.js';

/** The fastest CPU backend this runtime supports. */
export function createCpuBackend(): OptimizerBackend {
  return new CpuBackend();
}
