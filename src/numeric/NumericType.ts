/**
 * The element types lars-ts computes in. A tag, not a class: it names the
 * typed array that stores a {@link Vector}'s elements.
 *
 * - `'float32'`: single precision, stored in a `Float32Array`. Half the memory, what GPUs compute in.
 * - `'float64'`: double precision, stored in a `Float64Array`. The reference precision.
 *
 * @category Vectors
 */
export type NumericType = 'float32' | 'float64';

/**
 * The typed array that stores elements of numeric type `T`.
 *
 * @category Vectors
 */
export type ArrayFor<T extends NumericType> = T extends 'float32' ? Float32Array : Float64Array;

/**
 * Every numeric type tag, in a fixed order.
 *
 * @category Vectors
 */
export const NUMERIC_TYPES: readonly NumericType[] = Object.freeze(['float32', 'float64']);

/**
 * Reads the numeric type tag of a typed array.
 *
 * @throws TypeError when the array is neither a Float32Array nor a Float64Array.
 *
 * @category Vectors
 */
export function numericTypeOf(array: Float32Array | Float64Array): NumericType {
  if (array instanceof Float32Array) return 'float32';
  if (array instanceof Float64Array) return 'float64';
  throw new TypeError(`expected a Float32Array or Float64Array, got ${describeValue(array)}`);
}

/**
 * Allocates a zero-filled typed array of `length` elements of type `dtype`.
 *
 * @category Vectors
 */
export function allocateArray<T extends NumericType>(dtype: T, length: number): ArrayFor<T> {
  if (dtype === 'float32') return new Float32Array(length) as ArrayFor<T>;
  if (dtype === 'float64') return new Float64Array(length) as ArrayFor<T>;
  throw new TypeError(`unknown numeric type ${String(dtype)}; expected 'float32' or 'float64'`);
}

/**
 * Bytes per element for `dtype`: 4 for float32, 8 for float64.
 *
 * @throws TypeError for any other tag (e.g. `'int8'` from plain JavaScript).
 *
 * @category Vectors
 */
export function bytesPerElement(dtype: NumericType): number {
  if (dtype === 'float32') return 4;
  if (dtype === 'float64') return 8;
  throw new TypeError(`unknown numeric type ${String(dtype)}; expected 'float32' or 'float64'`);
}

/**
 * A short description of any value, for error messages.
 *
 * @category Vectors
 */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  const name = (value as { constructor?: { name?: string } }).constructor?.name;
  return name ?? 'object';
}
