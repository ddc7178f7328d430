/**
 * lars-ts: LARS (Layer-wise Adaptive Rate Scaling) for TypeScript.
 *
 * @packageDocumentation
 */
export * from './numeric/NumericType.js';
export * from './numeric/Vector.js';
export * from './numeric/Matrix.js';

export * from './options/OptionsValidationError.js';
export * from './options/OptimizationAlgorithmOptions.js';
export * from './options/GradientBasedOptimizerOptions.js';
export * from './options/LARSOptimizerOptions.js';
export * from './options/LARSRule.js';
export * as presets from './options/presets.js';

export * from './models/ParameterLayout.js';
export * from './models/FullModel.js';

export * from './optimizers/OptimizerInputError.js';
export * from './optimizers/LayerPlan.js';
export * from './optimizers/LayerCoefficients.js';
export * from './optimizers/layerUpdateRule.js';
export * from './optimizers/learningRateSchedule.js';
export * from './optimizers/PercentileClipper.js';
export * from './optimizers/SavedOptimizerState.js';
export * from './optimizers/GradientBasedOptimizer.js';
export * from './optimizers/LARSOptimizer.js';

export * from './gpu/OptimizerBackend.js';
export * from './gpu/StateSnapshot.js';
export * from './gpu/CpuBackend.js';
export * from './gpu/HostState.js';
export * from './gpu/selectBackend.js';
export * from './gpu/probeGpuBackend.js';
export * from './gpu/createCpuBackend.js';
export * from './wasm/WasmBackend.js';
export * from './wasm/WasmHeap.js';
export * from './wasm/WasmState.js';
