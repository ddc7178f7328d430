import { allocateArray, type ArrayFor, type NumericType } from '../numeric/NumericType.js';
import { Vector } from '../numeric/Vector.js';
import type { ParameterLayout } from './ParameterLayout.js';

/**
 * One flat typed array for all of a model's tensors, with a view (no copy)
 * per tensor in layout order. Models keep their parameters and their
 * gradients in these, so the optimizer sees one vector.
 *
 * @category Models
 */
export class FlatParameters<T extends NumericType> {
  /** The whole vector. */
  readonly vector: Vector<T>;
  /** One view per tensor of the layout, sharing the vector's memory. */
  readonly views: ArrayFor<T>[];

  /** The tensors, in storage order. */
  readonly layout: ParameterLayout;

  /**
   * Allocates zeros for `layout` in type `dtype`, or uses `storage` (its
   * values stay) when given, e.g. a vector from an optimizer's
   * `allocateVector` that lives where the optimizer computes.
   *
   * @throws RangeError/TypeError when `storage` does not fit the layout or type.
   */
  constructor(layout: ParameterLayout, dtype: T, storage?: Vector<T>) {
    this.layout = layout;
    const total = layout.reduce((s, t) => s + t.size, 0);
    if (storage !== undefined) {
      if (storage.length !== total) throw new RangeError(`storage has ${storage.length} elements, the layout needs ${total}`);
      if (storage.dtype !== dtype) throw new TypeError(`storage is ${storage.dtype}, the parameters are ${dtype}`);
    }
    const data = storage?.data ?? allocateArray(dtype, total);
    this.vector = storage ?? new Vector<T>(data);
    this.views = [];
    let offset = 0;
    for (const tensor of layout) {
      this.views.push(data.subarray(offset, offset + tensor.size) as ArrayFor<T>);
      offset += tensor.size;
    }
  }

  /** Number of elements in the whole vector. */
  get length(): number {
    return this.vector.length;
  }

  /**
   * Copies `source` in after checking its length, type and values.
   *
   * @throws RangeError/TypeError naming the problem; nothing changes then.
   */
  assign(source: Vector<T>, owner: string): void {
    if (!(source instanceof Vector)) throw new TypeError(`${owner}.setParameters needs a Vector`);
    if (source.length !== this.length) {
      throw new RangeError(`${owner} has ${this.length} parameters, got a vector of ${source.length}`);
    }
    if (source.dtype !== this.vector.dtype) {
      throw new TypeError(`${owner} stores ${this.vector.dtype} parameters, got ${source.dtype}`);
    }
    if (source.data === this.vector.data) return;
    this.vector.data.set(source.data);
  }

  /** The same layout and values in storage from `allocate` (see `ModelStorage`). */
  relocate(allocate: (length: number) => Vector<T>): FlatParameters<T> {
    const moved = new FlatParameters<T>(this.layout, this.vector.dtype, allocate(this.length));
    moved.vector.data.set(this.vector.data);
    return moved;
  }
}
