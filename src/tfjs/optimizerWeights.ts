import type { Tensor } from '@tensorflow/tfjs-core';
import { OptimizerInputError } from '../core/OptimizerInputError.js';
import { PERCENTILE_HISTORY } from '../optimizers/PercentileClipper.js';
import type { LARSOptimizerOptions } from '../options/LARSOptimizerOptions.js';
import type { NamedTensor } from './NamedTensor.js';

/**
 * Suffix of a momentum weight's name in {@link TfjsLARSOptimizer.getWeights}: `<variable>/lars_momentum`.
 *
 * @category TensorFlow.js
 */
export const MOMENTUM_SUFFIX = '/lars_momentum';
/**
 * Name of the weight that carries steps per epoch learned from `fit` (int32 scalar).
 *
 * @category TensorFlow.js
 */
export const STEPS_PER_EPOCH_WEIGHT = 'lars/steps_per_epoch';
/**
 * Name of the weight that carries the percentile-clipping history (the float64 bits as int32, one row per layer).
 *
 * @category TensorFlow.js
 */
export const PERCENTILE_HISTORY_WEIGHT = 'lars/percentile_history';

/**
 * What `TfjsLARSOptimizer.setWeights` restores, checked.
 *
 * @category TensorFlow.js
 */
export interface ParsedWeights {
  /** The step count. */
  readonly iterations: number;
  /** Steps per epoch learned from fit, or null. */
  readonly stepsPerEpoch: number | null;
  /** The percentile-clipping history, or null. */
  readonly history: Float64Array | null;
  /** Each momentum buffer's value by its key. */
  readonly momentum: Map<string, Tensor>;
}

/**
 * Reads and checks the weights of `TfjsLARSOptimizer.getWeights` (iterations
 * first), touching no optimizer.
 *
 * @throws {@link OptimizerInputError} (`invalid-state`) naming what does not fit.
 */
export async function parseWeights(weightValues: NamedTensor[], options: LARSOptimizerOptions): Promise<ParsedWeights> {
  const bad = (message: string): OptimizerInputError =>
    new OptimizerInputError('invalid-state', `cannot load TfjsLARSOptimizer weights: ${message}; nothing was changed`);
  if (!Array.isArray(weightValues) || weightValues.length === 0) throw bad('expected a non-empty list of named tensors, iterations first');
  const [first, ...rest] = weightValues;
  if (first?.tensor == null || first.tensor.size !== 1) throw bad('the first weight must be the iteration count (a scalar)');
  const iterations = (await first.tensor.data())[0];
  if (!(Number.isInteger(iterations) && iterations >= 0)) throw bad(`the iteration count must be a non-negative integer, got ${iterations}`);
  let stepsPerEpoch: number | null = null;
  let history: Float64Array | null = null;
  const momentum = new Map<string, Tensor>();
  for (const w of rest) {
    if (typeof w?.name !== 'string' || w.tensor == null) throw bad('every weight needs a name and a tensor');
    if (w.name === STEPS_PER_EPOCH_WEIGHT) {
      const steps = (await w.tensor.data())[0];
      if (w.tensor.size !== 1 || !(Number.isInteger(steps) && steps >= 1)) throw bad(`${STEPS_PER_EPOCH_WEIGHT} must be a positive integer, got ${steps}`);
      stepsPerEpoch = steps;
    } else if (w.name === PERCENTILE_HISTORY_WEIGHT) {
      if (w.tensor.dtype !== 'int32' || w.tensor.rank !== 2 || w.tensor.shape[1] !== 2 * PERCENTILE_HISTORY) {
        throw bad(`${PERCENTILE_HISTORY_WEIGHT} must be int32 of shape [layers, ${2 * PERCENTILE_HISTORY}]`);
      }
      const bits = Int32Array.from(await w.tensor.data());
      history = new Float64Array(bits.buffer);
      if (!history.every((x) => Number.isFinite(x) && x >= 0)) throw bad('the percentile history holds negative, NaN or infinite values');
    } else if (w.name.endsWith(MOMENTUM_SUFFIX)) {
      const key = w.name.slice(0, -MOMENTUM_SUFFIX.length);
      if (momentum.has(key)) throw bad(`${w.name} appears twice`);
      if (w.tensor.dtype !== 'float32') throw bad(`${w.name} is ${w.tensor.dtype}, expected float32`);
      const values = await w.tensor.data();
      if (!Array.from(values as ArrayLike<number>).every((x) => Number.isFinite(x))) throw bad(`${w.name} holds NaN or ±Infinity`);
      momentum.set(key, w.tensor);
    } else {
      throw bad(`unknown weight ${JSON.stringify(w.name)} (expected ${STEPS_PER_EPOCH_WEIGHT}, ${PERCENTILE_HISTORY_WEIGHT} or <variable>${MOMENTUM_SUFFIX})`);
    }
  }
  if (momentum.size > 0 && options.momentum === 0) {
    throw bad(`the weights carry momentum for ${momentum.size} variable(s), but this optimizer has momentum 0 and would drop it`);
  }
  if (momentum.size === 0 && options.momentum > 0 && iterations > 0) {
    throw bad(`the weights carry no momentum after ${iterations} step(s), but this optimizer has momentum ${options.momentum}`);
  }
  return { iterations, stepsPerEpoch, history, momentum };
}
