import { allocateArray, numericTypeOf, type ArrayFor, type NumericType } from './NumericType.js';

/**
 * A dense vector of numbers backed by a typed array. The numeric type tag `T`
 * is tied to the storage: `Vector<'float32'>` holds a `Float32Array`,
 * `Vector<'float64'>` a `Float64Array`.
 *
 * `new Vector(array)` wraps the array without copying, and {@link Vector.data}
 * hands the same array back, so a model, a user and the optimizer can share
 * one buffer.
 *
 * @typeParam T - the numeric type tag, `'float32'` or `'float64'`.
 *
 * @category Vectors
 */
export class Vector<T extends NumericType = NumericType> {
  /** The typed array holding the elements; shared, not copied. */
  readonly data: ArrayFor<T>;
  /** The numeric type tag of {@link Vector.data}. */
  readonly dtype: T;

  /**
   * Wraps a typed array without copying it.
   *
   * @param data - a Float32Array or Float64Array; its type sets {@link Vector.dtype}.
   * @throws TypeError when `data` is not a Float32Array or Float64Array.
   */
  constructor(data: ArrayFor<T>) {
    this.dtype = numericTypeOf(data) as T;
    this.data = data;
  }

  /**
   * Wraps a typed array without copying, like the constructor, but with the
   * numeric type inferred: `Vector.of(new Float32Array(n))` is a `Vector<'float32'>`.
   * (`new Vector(array)` is typed `Vector<NumericType>` unless you write `new Vector<'float32'>(array)`.)
   */
  static of(data: Float32Array): Vector<'float32'>;
  static of(data: Float64Array): Vector<'float64'>;
  static of(data: Float32Array | Float64Array): Vector {
    return new Vector(data);
  }

  /** A new zero vector of `length` elements of type `dtype`. */
  static zeros<T extends NumericType>(length: number, dtype: T): Vector<T> {
    return new Vector<T>(allocateArray(dtype, length));
  }

  /** A new vector holding `values` converted to type `dtype`. */
  static from<T extends NumericType>(values: ArrayLike<number>, dtype: T): Vector<T> {
    const out = allocateArray(dtype, values.length);
    out.set(values as ArrayLike<number>);
    return new Vector<T>(out);
  }

  /** The number of elements. */
  get length(): number {
    return this.data.length;
  }

  /** A deep copy with its own storage. */
  clone(): Vector<T> {
    return new Vector<T>(this.data.slice() as ArrayFor<T>);
  }

  /** The elements as a plain array of numbers (a copy). */
  toArray(): number[] {
    return Array.from(this.data);
  }
}
