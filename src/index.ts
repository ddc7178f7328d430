/**
 * lars-ts: LARS (Layer-wise Adaptive Rate Scaling) for TypeScript.
 *
 * @packageDocumentation
 */
export * from './numeric/NumericType.js';
export * from './numeric/Vector.js';
export * from './numeric/Matrix.js';

export * from './options/OptionsValidationError.js';
export {
  OptimizationAlgorithmOptions,
  optimizationAlgorithmSchema,
  LEARNING_RATE_SCHEDULES,
  type LearningRateSchedule,
  type OptimizationAlgorithmOptionsInput,
  type OptimizationAlgorithmOptionsValues,
  type OptionsClass,
} from './options/OptimizationAlgorithmOptions.js';
export {
  GradientBasedOptimizerOptions,
  gradientBasedOptimizerSchema,
  BACKEND_CHOICES,
  type BackendChoice,
  type GradientBasedOptimizerOptionsInput,
  type GradientBasedOptimizerOptionsValues,
} from './options/GradientBasedOptimizerOptions.js';
export {
  LARSOptimizerOptions,
  larsOptimizerSchema,
  type LARSOptimizerOptionsInput,
  type LARSOptimizerOptionsValues,
} from './options/LARSOptimizerOptions.js';
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

export * from './optimizers/bitsandbytesLARS.js';
export * from './gpu/QuantizedHostState.js';
export * from './gpu/checkQuantizedSnapshot.js';
export * from './gpu/quantizedPacking.js';
export * from './quantization/dynamicMap.js';
export * from './quantization/torchLinspaceFloat32.js';
export * from './quantization/CodeBook.js';
export * from './quantization/blockwise.js';

export * from './gpu/GpuJsBackend.js';
export * from './gpu/gpujs/GpuState.js';
export * from './gpu/gpujs/GpuQuantizedState.js';
export * from './gpu/gpujs/QuantizedStateLayout.js';
export * from './gpu/gpujs/ChunkLayout.js';
export type { DeviceTexture } from './gpu/gpujs/GpuKernelSet.js';

export * from './models/FlatParameters.js';
export * from './models/ModelStorage.js';
export * from './models/denseKernels.js';
export * from './models/layerNormKernels.js';
export * from './models/softmaxCrossEntropy.js';
export * from './models/classification.js';
export * from './models/LinearRegression.js';
export * from './models/MultilayerPerceptron.js';
export * from './models/SoftmaxRegression.js';
export * from './optimizers/MomentumSGDOptimizer.js';
export * from './training/OptimizationResult.js';
export * from './training/EarlyStopping.js';
export * from './training/batchRows.js';
export * from './training/evaluateModel.js';
export * from './training/trainModel.js';
export * from './util/SeededRandom.js';

export * from './wasm/WasmBackend.js';
export * from './wasm/WasmHeap.js';
export * from './wasm/WasmState.js';
export * from './wasm/WasmQuantizedState.js';
export * from './wasm/WasmCodeBook.js';
export * from './wasm/WasmThreadPool.js';
