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

export * from './core/OptimizerInputError.js';
export * from './core/LayerPlan.js';
export * from './core/LayerCoefficients.js';
export * from './optimizers/layerUpdateRule.js';
export * from './optimizers/learningRateSchedule.js';
export * from './optimizers/PercentileClipper.js';
export * from './optimizers/SavedOptimizerState.js';
export * from './optimizers/GradientBasedOptimizer.js';
export * from './optimizers/LARSOptimizer.js';

export * from './core/OptimizerBackend.js';
export * from './core/StateSnapshot.js';
export * from './backends/js/CpuBackend.js';
export * from './backends/js/HostState.js';
export * from './backends/selectBackend.js';
export * from './backends/gpujs/probeGpuBackend.js';
export * from './backends/createCpuBackend.js';

export * from './optimizers/bitsandbytesLARS.js';
export * from './backends/js/QuantizedHostState.js';
export * from './core/checkSnapshot.js';
export * from './core/quantizedPacking.js';
export * from './quantization/dynamicMap.js';
export * from './quantization/torchLinspaceFloat32.js';
export * from './quantization/CodeBook.js';
export * from './quantization/blockwise.js';

export * from './backends/gpujs/GpuJsBackend.js';
export * from './backends/gpujs/GpuState.js';
export * from './backends/gpujs/GpuQuantizedState.js';
export * from './backends/gpujs/QuantizedStateLayout.js';
export * from './backends/gpujs/ChunkLayout.js';
export type { DeviceTexture } from './backends/gpujs/GpuKernelSet.js';

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
export * from './models/evaluateModel.js';
export * from './training/trainModel.js';
export * from './util/SeededRandom.js';

export * from './backends/wasm/WasmBackend.js';
export * from './backends/wasm/WasmHeap.js';
export * from './backends/wasm/WasmState.js';
export * from './backends/wasm/WasmQuantizedState.js';
export * from './backends/wasm/WasmCodeBook.js';
export * from './backends/wasm/WasmThreadPool.js';
