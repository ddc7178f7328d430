/**
 * lars-ts/tfjs: LARS for TensorFlow.js models. Importing it registers
 * {@link TfjsLARSOptimizer} with `tf.serialization`, so a model saved with
 * `includeOptimizer: true` loads with its LARS optimizer.
 *
 * Needs `@tensorflow/tfjs-core` and `@tensorflow/tfjs-layers` (both in
 * `@tensorflow/tfjs`); the root entry `lars-ts` never loads them.
 *
 * @packageDocumentation
 */
export * from './TfjsLARSOptimizer.js';
export type { NamedTensor } from './NamedTensor.js';
export { MOMENTUM_SUFFIX, PERCENTILE_HISTORY_WEIGHT, STEPS_PER_EPOCH_WEIGHT } from './optimizerWeights.js';
export * from './LARSScheduleCallback.js';
export * from './variableLayers.js';
export { LARSOptimizerOptions, type LARSOptimizerOptionsInput } from '../options/LARSOptimizerOptions.js';
export * as presets from '../options/presets.js';
export { OptimizerInputError, type OptimizerInputErrorCode } from '../core/OptimizerInputError.js';
export { OptionsValidationError, type OptionsProblem } from '../options/OptionsValidationError.js';
export type { LayerFlags } from '../optimizers/stepCoefficients.js';
export type { ParameterKind } from '../models/ParameterLayout.js';
