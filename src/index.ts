/**
 * lars-ts: LARS (Layer-wise Adaptive Rate Scaling) for TypeScript.
 *
 * The root entry holds what application code uses: options, optimizers,
 * vectors, the model contract and the bundled models, and the training loop.
 * Backends and the pieces a new backend needs are on `lars-ts/backends`.
 *
 * @packageDocumentation
 */

// Numbers
export { NUMERIC_TYPES, type NumericType, type ArrayFor } from './numeric/NumericType.js';
export { Vector } from './numeric/Vector.js';
export { Matrix } from './numeric/Matrix.js';

// Options
export { OptionsValidationError, type OptionsProblem } from './options/OptionsValidationError.js';
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

// Optimizers
export { OptimizerInputError, type OptimizerInputErrorCode } from './core/OptimizerInputError.js';
export { PartialStepError } from './core/PartialStepError.js';
export { GradientBasedOptimizer, type OptimizerSetup, type UpdateRuleSettings } from './optimizers/GradientBasedOptimizer.js';
export { LARSOptimizer } from './optimizers/LARSOptimizer.js';
export { MomentumSGDOptimizer, MOMENTUM_SGD_RULE } from './optimizers/MomentumSGDOptimizer.js';
export * from './optimizers/bitsandbytesLARS.js';
export type * from './optimizers/SavedOptimizerState.js';
export { BackendUnavailableError, type CpuThreads } from './backends/selectBackend.js';

// Models
export type * from './models/ParameterLayout.js';
export type * from './models/FullModel.js';
export type { VectorAllocator } from './models/ModelStorage.js';
export { FlatParameters } from './models/FlatParameters.js';
export { LinearRegression, type LinearRegressionConfig } from './models/LinearRegression.js';
export { MultilayerPerceptron, type MultilayerPerceptronConfig, type DenseKernelChoice } from './models/MultilayerPerceptron.js';
export { SoftmaxRegression, type SoftmaxRegressionConfig } from './models/SoftmaxRegression.js';
export { oneHot, argmaxRows, classificationAccuracy } from './models/classification.js';
export { evaluateModel, type Evaluation, type ClassifierEvaluation, type EvaluatingModel } from './models/evaluateModel.js';

// Training
export type * from './training/OptimizationResult.js';
export type { TrainableOptimizer, TrainingSettings } from './training/TrainableOptimizer.js';
export { trainModel, stepsPerEpochFor, TrainingDataError } from './training/trainModel.js';
export { EarlyStopping } from './training/EarlyStopping.js';
