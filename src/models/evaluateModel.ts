import type { FullModel } from './FullModel.js';
import { classificationAccuracy } from './classification.js';
import { Matrix } from '../numeric/Matrix.js';
import type { NumericType } from '../numeric/NumericType.js';

/**
 * Loss and accuracy of a model on one data set.
 *
 * @category Models
 */
export interface Evaluation {
  /** Mean loss over the set. */
  readonly loss: number;
  /** Share of correct classes in [0, 1], or null when the task is not classification. */
  readonly accuracy: number | null;
}

/**
 * The evaluation of a classifier, whose accuracy is always known.
 *
 * @category Models
 */
export interface ClassifierEvaluation extends Evaluation {
  /** Share of correct classes in [0, 1]. */
  readonly accuracy: number;
}

/**
 * A model that can score a data set in one forward pass (the built-in models can).
 *
 * @category Models
 */
export interface EvaluatingModel<TInput, TOutput> {
  /** Loss and, for classifiers, accuracy on `input`/`target`. */
  evaluate(input: TInput, target: TOutput): Evaluation;
}

/**
 * Scores `model` on a data set: with its own `evaluate` when it has one,
 * else the loss from `computeGradients` and, when outputs and targets are
 * matrices with more than one column, the argmax accuracy from `predict`.
 *
 * @category Models
 */
export function evaluateModel<T extends NumericType, TInput, TOutput>(
  model: FullModel<T, TInput, TOutput>,
  input: TInput,
  target: TOutput,
): Evaluation {
  const own = (model as Partial<EvaluatingModel<TInput, TOutput>>).evaluate;
  if (typeof own === 'function') return own.call(model, input, target);
  const loss = model.computeGradients(input, target).loss;
  let accuracy: number | null = null;
  if (target instanceof Matrix && target.cols > 1) {
    const predictions = model.predict(input);
    if (predictions instanceof Matrix) accuracy = classificationAccuracy(predictions, target);
  }
  return { loss, accuracy };
}
