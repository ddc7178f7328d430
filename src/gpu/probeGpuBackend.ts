import type { OptimizerBackend } from './OptimizerBackend.js';

/** A GPU backend that passed its self-check. */
export interface GpuFound {
  /** The ready backend. */
  readonly backend: OptimizerBackend;
}

/** Why no GPU backend can run here. */
export interface GpuMissing {
  /** A plain-language reason, shown in errors and warnings. */
  readonly reason: string;
}

/** A GPU backend that is ready to use, or the reason there is none. */
export type GpuProbe = GpuFound | GpuMissing;

/**
 * Looks for a GPU backend that can run here and passes its self-check.
 * Never throws: a missing or broken GPU is a reason, not a crash.
 */
export function probeGpuBackend(): GpuProbe {
  return { reason: 'no GPU backend is built into this version of lars-ts' };
}
