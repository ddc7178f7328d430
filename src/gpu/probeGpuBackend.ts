import type { OptimizerBackend } from './OptimizerBackend.js';

/** A GPU backend that is ready to use, or the reason there is none. */
export type GpuProbe = { readonly backend: OptimizerBackend } | { readonly reason: string };

/**
 * Looks for a GPU backend that can run here and passes its self-check.
 * Never throws: a missing or broken GPU is a reason, not a crash.
 */
export function probeGpuBackend(): GpuProbe {
  return { reason: 'no GPU backend is built into this version of lars-ts' };
}
