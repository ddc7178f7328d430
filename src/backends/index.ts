/**
 * `lars-ts/backends`: the backends that run an optimizer's element loops,
 * their selection and fallback, and the contract a new backend implements
 * (see {@link OptimizerBackend}). Application code rarely needs this entry:
 * the `backend` and `cpuThreads` options choose a backend.
 *
 * @packageDocumentation
 */

// The contract
export type { OptimizerBackend, BackendState } from '../core/OptimizerBackend.js';
export type * from '../core/StateSnapshot.js';
export { buildLayerPlan, PLAIN_PLAN, type LayerPlan, type LayerPlanOptions, type LayerSegment } from '../core/LayerPlan.js';
export { allocateCoefficients, isPlainMomentum, plainMomentumCoefficients, type LayerCoefficients } from '../core/LayerCoefficients.js';
export { checkSnapshotFits, checkQuantizedSnapshotFits } from '../core/checkSnapshot.js';
export { snapshotFlat, restoreFlat } from '../core/flatSnapshot.js';

// The per-step math that produces the coefficients (for adapters to other frameworks)
export { computeStepCoefficients, clipUpdateNorms, type StepCoefficientsInput, type StepCoefficients, type LayerFlags } from '../optimizers/stepCoefficients.js';
export { trustDecision, writeLayerCoefficients, updateNormScale, globalClipScale, type StepHyperParameters, type LayerStepInput, type TrustDecision } from '../optimizers/layerUpdateRule.js';
export { learningRateAt, scheduleFor, checkStepsPerEpoch, type ScheduleSettings, type ScheduleOptions } from '../optimizers/learningRateSchedule.js';
export { PercentileClipper, PERCENTILE_HISTORY } from '../optimizers/PercentileClipper.js';

export { PartialStepError } from '../core/PartialStepError.js';

// The backends and their selection
export { selectBackend, threadOptions, BackendUnavailableError, type CpuThreads } from './selectBackend.js';
export { createCpuBackend } from './createCpuBackend.js';
export { CpuBackend } from './js/CpuBackend.js';
export { WasmBackend } from './wasm/WasmBackend.js';
export type { WasmThreadOptions } from './wasm/WasmThreadPool.js';
export { GpuJsBackend, type GpuJsMode, type GpuJsBackendOptions, type GpuPhaseTimings } from './gpujs/GpuJsBackend.js';
export { probeGpuBackend, type GpuProbe, type GpuFound, type GpuMissing, type GpuProbeOptions } from './gpujs/probeGpuBackend.js';
