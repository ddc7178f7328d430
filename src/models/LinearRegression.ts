import { Matrix } from '../numeric/Matrix.js';
import type { NumericType } from '../numeric/NumericType.js';
import { Vector } from '../numeric/Vector.js';
import type { FlatParameters } from './FlatParameters.js';
import { ModelStorage, type VectorAllocator } from './ModelStorage.js';
import type { FullModel, GradientResult } from './FullModel.js';
import type { ParameterLayout } from './ParameterLayout.js';
import type { Evaluation } from './evaluateModel.js';

/**
 * How to build a {@link LinearRegression}.
 *
 * @category Models
 */
export interface LinearRegressionConfig<T extends NumericType> {
  /** Number of input features. */
  readonly inputs: number;
  /** Numeric type of parameters and computation. */
  readonly dtype: T;
}

/**
 * Linear regression ŷ = X·w + b with the mean squared error
 * mean((ŷ − y)²). Parameters start at zero; the layout is `weight` (one per
 * feature) then `bias` (one element).
 *
 * @example
 * ```ts
 * const model = new LinearRegression({ inputs: 3, dtype: 'float64' });
 * const { loss, gradient } = model.computeGradients(x, y);
 * ```
 *
 * @category Models
 */
export class LinearRegression<T extends NumericType> implements FullModel<T, Matrix<T>, Vector<T>> {
  /** Number of input features. */
  readonly inputs: number;
  /** Numeric type of parameters and computation. */
  readonly dtype: T;
  private readonly storage: ModelStorage<T>;

  /** @throws RangeError when `inputs` is not a positive integer. */
  constructor(config: LinearRegressionConfig<T>) {
    if (!Number.isInteger(config.inputs) || config.inputs < 1) {
      throw new RangeError(`inputs must be a positive integer, got ${config.inputs}`);
    }
    this.inputs = config.inputs;
    this.dtype = config.dtype;
    this.storage = new ModelStorage<T>(
      Object.freeze([
        Object.freeze({ name: 'weight', size: config.inputs, kind: 'weight' as const }),
        Object.freeze({ name: 'bias', size: 1, kind: 'bias' as const }),
      ]),
      config.dtype,
    );
  }

  /** inputs + 1. */
  get parameterCount(): number {
    return this.params.length;
  }

  /**
   * Moves the parameters and the gradient storage into vectors from
   * `allocate` (the optimizer's `vectorAllocator`), so optimizer steps copy
   * nothing; `optimize()` calls it. A second call with the same allocator
   * does nothing. Afterwards {@link computeGradients}
   * returns one reused gradient vector, overwritten by the next call.
   */
  adoptStorage(allocate: VectorAllocator): void {
    this.storage.adopt(allocate);
  }

  private get params(): FlatParameters<T> {
    return this.storage.parameters;
  }

  /** The live flat parameter vector. */
  getParameters(): Vector<T> {
    return this.params.vector;
  }

  /** Copies `parameters` in. @throws on a wrong length or type; nothing changes then. */
  setParameters(parameters: Vector<T>): void {
    this.params.assign(parameters, 'LinearRegression');
  }

  /** `weight` then `bias`. */
  parameterLayout(): ParameterLayout {
    return this.params.layout;
  }

  /** ŷ = X·w + b for every row. */
  predict(input: Matrix<T>): Vector<T> {
    this.check(input);
    const out = Vector.zeros(input.rows, this.dtype);
    const [w, b] = this.params.views;
    const k = this.inputs;
    for (let i = 0; i < input.rows; i++) {
      let s = b[0];
      const r = i * k;
      for (let p = 0; p < k; p++) s += input.data[r + p] * w[p];
      out.data[i] = s;
    }
    return out;
  }

  /** The mean squared error of a batch. */
  computeLoss(input: Matrix<T>, target: Vector<T>): number {
    this.check(input, target);
    const y = this.predict(input);
    let loss = 0;
    for (let i = 0; i < y.length; i++) loss += (y.data[i] - target.data[i]) ** 2;
    return loss / Math.max(1, y.length);
  }

  /** The mean squared error on a data set; accuracy does not apply (null). */
  evaluate(input: Matrix<T>, target: Vector<T>): Evaluation {
    return { loss: this.computeLoss(input, target), accuracy: null };
  }

  /** The mean squared error and its gradient: 2/n·Xᵀ(ŷ − y) for w, 2/n·Σ(ŷ − y) for b. */
  computeGradients(input: Matrix<T>, target: Vector<T>): GradientResult<T> {
    this.check(input, target);
    const y = this.predict(input);
    const n = input.rows;
    const k = this.inputs;
    const grad = this.storage.gradients();
    const [gw, gb] = grad.views;
    let loss = 0;
    const scale = 2 / Math.max(1, n);
    for (let i = 0; i < n; i++) {
      const e = y.data[i] - target.data[i];
      loss += e * e;
      const d = scale * e;
      gb[0] += d;
      const r = i * k;
      for (let p = 0; p < k; p++) gw[p] += d * input.data[r + p];
    }
    return { loss: loss / Math.max(1, n), gradient: grad.vector };
  }

  /** An independent copy. */
  deepCopy(): LinearRegression<T> {
    const copy = new LinearRegression<T>({ inputs: this.inputs, dtype: this.dtype });
    copy.setParameters(this.params.vector);
    return copy;
  }

  private check(input: Matrix<T>, target?: Vector<T>): void {
    if (!(input instanceof Matrix)) throw new TypeError('LinearRegression needs a Matrix of inputs');
    if (input.cols !== this.inputs) throw new RangeError(`LinearRegression takes ${this.inputs} input columns, got ${input.cols}`);
    if (input.dtype !== this.dtype) throw new TypeError(`LinearRegression computes in ${this.dtype}, got ${input.dtype} inputs`);
    if (target === undefined) return;
    if (!(target instanceof Vector)) throw new TypeError('LinearRegression needs a Vector of targets');
    if (target.length !== input.rows) {
      throw new RangeError(`LinearRegression got ${input.rows} input rows but ${target.length} targets`);
    }
  }
}
