import type { NumericType } from '../numeric/NumericType.js';
import type { Vector } from '../numeric/Vector.js';
import type { ParameterLayout } from './ParameterLayout.js';
import type { VectorAllocator } from './ModelStorage.js';

/**
 * The loss of a batch and its gradient with respect to the flat parameter vector.
 *
 * @category Models
 */
export interface GradientResult<T extends NumericType> {
  /** The loss averaged over the batch. */
  readonly loss: number;
  /** d(loss)/d(parameters), averaged over the batch, in the layout's order. */
  readonly gradient: Vector<T>;
}

/**
 * A trainable model as the optimizers see it: a flat parameter vector with a
 * published layout, a forward pass and a gradient.
 *
 * @typeParam T - the numeric type of parameters and gradients.
 * @typeParam TInput - a batch of inputs, e.g. `Matrix<T>`.
 * @typeParam TOutput - a batch of outputs or targets, e.g. `Vector<T>`.
 *
 * @category Models
 */
export interface FullModel<T extends NumericType, TInput, TOutput> {
  /** Number of trainable parameters, the length of the flat vector. */
  readonly parameterCount: number;
  /** The flat parameter vector; implementations may return their live storage. */
  getParameters(): Vector<T>;
  /** Replaces the parameters with `parameters` (copied in). */
  setParameters(parameters: Vector<T>): void;
  /** The model's outputs for a batch of inputs. */
  predict(input: TInput): TOutput;
  /** The batch-averaged loss and its gradient at the current parameters. */
  computeGradients(input: TInput, target: TOutput): GradientResult<T>;
  /**
   * Optional: the same as {@link computeGradients} on the examples at
   * `rows` of `input` and `target`, in that order, without building the
   * batch first (the training loop then copies no batch). It must give the
   * same result as `computeGradients` of those rows. Default: absent, and
   * the training loop builds each batch.
   */
  computeGradientsOfRows?(input: TInput, target: TOutput, rows: ArrayLike<number>): GradientResult<T>;
  /** The tensors of the flat vector, in order, with their kinds. */
  parameterLayout(): ParameterLayout;
  /** An independent copy with its own parameters. */
  deepCopy(): FullModel<T, TInput, TOutput>;
  /**
   * Optional: moves the parameters (values kept) and the gradient storage
   * into vectors from `allocate`, the optimizer's `vectorAllocator`, so that
   * optimizer steps read and write them in place (WebAssembly memory: no
   * copies). The training loop calls it once before the first step when the
   * backend has memory of its own. Afterwards {@link computeGradients} may
   * return one reused vector, overwritten by the next call. Default: absent,
   * and steps copy ordinary vectors in and out.
   */
  adoptStorage?(allocate: VectorAllocator): void;
}
