import type { NumericType } from '../numeric/NumericType.js';
import type { Vector } from '../numeric/Vector.js';
import { FlatParameters } from './FlatParameters.js';
import type { ParameterLayout } from './ParameterLayout.js';

/**
 * Makes a zero vector of `length` elements of type `dtype`, e.g. an optimizer's `vectorAllocator`.
 *
 * @category Models
 */
export type VectorAllocator = <D extends NumericType>(length: number, dtype: D) => Vector<D>;

/**
 * Where a model keeps its flat parameters and the gradients it returns.
 *
 * By default both are ordinary typed arrays and every gradient is a new
 * vector. After {@link ModelStorage.adopt}, both live in vectors from an
 * allocator (an optimizer's `allocateVector`: WebAssembly memory on the CPU),
 * so optimizer steps read and write them in place, and one gradient vector is
 * reused: each call of {@link ModelStorage.gradients} zeroes and returns it.
 *
 * @category Models
 */
export class ModelStorage<T extends NumericType> {
  private current: FlatParameters<T>;
  private reused: FlatParameters<T> | null = null;
  private allocator: VectorAllocator | null = null;

  /** Zero parameters for `layout` in `dtype`. */
  constructor(layout: ParameterLayout, dtype: T) {
    this.current = new FlatParameters(layout, dtype);
  }

  /** The parameters (whole vector and per-tensor views). */
  get parameters(): FlatParameters<T> {
    return this.current;
  }

  /**
   * Moves the parameters (values kept) into a vector from `allocate`, and
   * allocates one more for the gradients. Nothing happens when the storage
   * already came from this same `allocate`; another one moves it again.
   */
  adopt(allocate: VectorAllocator): void {
    if (allocate === this.allocator) return;
    const dtype = this.current.vector.dtype;
    const parameters = this.current.relocate((length) => allocate(length, dtype));
    const gradients = new FlatParameters<T>(this.current.layout, dtype, allocate(this.current.length, dtype));
    this.current = parameters;
    this.reused = gradients;
    this.allocator = allocate;
  }

  /** Zeroed gradient storage: a new one, or the adopted one (overwritten by the next call). */
  gradients(): FlatParameters<T> {
    if (this.reused === null) return new FlatParameters(this.current.layout, this.current.vector.dtype);
    this.reused.vector.data.fill(0);
    return this.reused;
  }
}
