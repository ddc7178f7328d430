import type { NumericType } from '../numeric/NumericType.js';
import { MultilayerPerceptron, type DenseKernelChoice } from './MultilayerPerceptron.js';

/**
 * How to build a {@link SoftmaxRegression}.
 *
 * @category Models
 */
export interface SoftmaxRegressionConfig<T extends NumericType> {
  /** Number of input features. */
  readonly inputs: number;
  /** Number of classes. */
  readonly classes: number;
  /** Numeric type of parameters and computation. */
  readonly dtype: T;
  /** Seed of the weight initialization. Default 42. */
  readonly seed?: number;
  /** Where the matrix products run (as for the perceptron). Default `'auto'`. */
  readonly kernels?: DenseKernelChoice;
  /** Threads that share each matrix product's rows (as for the perceptron): a whole number ≥ 1 or `'auto'`. Default 1. */
  readonly threads?: 'auto' | number;
  /** Where warnings go (as for the perceptron). Default `console.warn` with a `lars-ts:` prefix. */
  readonly onWarning?: (message: string) => void;
}

/**
 * Multinomial logistic regression: one dense layer (`dense0.weight`,
 * `dense0.bias`) followed by softmax, trained with cross-entropy. It is a
 * perceptron with no hidden layer, so it shares that class's kernels.
 *
 * @example
 * ```ts
 * const model = new SoftmaxRegression({ inputs: 784, classes: 10, dtype: 'float32' });
 * ```
 *
 * @category Models
 */
export class SoftmaxRegression<T extends NumericType> extends MultilayerPerceptron<T> {
  /** @throws RangeError when `inputs` or `classes` is not a positive integer. */
  constructor(config: SoftmaxRegressionConfig<T>) {
    super({ layerSizes: [config.inputs, config.classes], dtype: config.dtype, seed: config.seed, kernels: config.kernels,
      threads: config.threads, onWarning: config.onWarning });
  }

  /** An independent copy with the same shape and parameters. */
  override deepCopy(): SoftmaxRegression<T> {
    const copy = new SoftmaxRegression<T>({
      inputs: this.layerSizes[0],
      classes: this.classes,
      dtype: this.dtype,
      seed: this.seed,
      kernels: this.kernels,
      threads: this.threads,
      onWarning: this.onWarning,
    });
    copy.setParameters(this.getParameters());
    return copy;
  }
}
