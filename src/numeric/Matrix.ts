import { allocateArray, numericTypeOf, type ArrayFor, type NumericType } from './NumericType.js';

/**
 * A dense row-major matrix backed by one typed array: element (r, c) sits at
 * `data[r * cols + c]`. Like {@link Vector}, it wraps its storage without copying.
 *
 * @typeParam T - the numeric type tag, `'float32'` or `'float64'`.
 *
 * @category Vectors
 */
export class Matrix<T extends NumericType = NumericType> {
  /** The row-major typed array holding the elements; shared, not copied. */
  readonly data: ArrayFor<T>;
  /** The numeric type tag of {@link Matrix.data}. */
  readonly dtype: T;
  /** The number of rows. */
  readonly rows: number;
  /** The number of columns. */
  readonly cols: number;

  /**
   * Wraps a row-major typed array of `rows × cols` elements without copying.
   *
   * @throws RangeError when the array length is not `rows × cols`.
   */
  constructor(rows: number, cols: number, data: ArrayFor<T>) {
    if (!Number.isInteger(rows) || rows < 0 || !Number.isInteger(cols) || cols < 0) {
      throw new RangeError(`matrix shape must be non-negative integers, got ${rows} × ${cols}`);
    }
    if (data.length !== rows * cols) {
      throw new RangeError(`matrix of ${rows} × ${cols} needs ${rows * cols} elements, got ${data.length}`);
    }
    this.dtype = numericTypeOf(data) as T;
    this.rows = rows;
    this.cols = cols;
    this.data = data;
  }

  /** A new zero matrix of type `dtype`. */
  static zeros<T extends NumericType>(rows: number, cols: number, dtype: T): Matrix<T> {
    return new Matrix<T>(rows, cols, allocateArray(dtype, rows * cols));
  }

  /** A new matrix from an array of equal-length rows, converted to type `dtype`. */
  static fromRows<T extends NumericType>(rowsIn: ArrayLike<number>[], dtype: T): Matrix<T> {
    const rows = rowsIn.length;
    const cols = rows === 0 ? 0 : rowsIn[0].length;
    const out = Matrix.zeros(rows, cols, dtype);
    rowsIn.forEach((row, r) => {
      if (row.length !== cols) throw new RangeError(`row ${r} has ${row.length} elements, expected ${cols}`);
      out.data.set(row as ArrayLike<number>, r * cols);
    });
    return out;
  }

  /** The element at row `r`, column `c`. */
  get(r: number, c: number): number {
    return this.data[r * this.cols + c];
  }

  /** A view (no copy) of row `r` as a typed array. */
  row(r: number): ArrayFor<T> {
    return this.data.subarray(r * this.cols, (r + 1) * this.cols) as ArrayFor<T>;
  }

  /** A new matrix holding the rows listed in `indices`, in that order. */
  selectRows(indices: ArrayLike<number>): Matrix<T> {
    const out = Matrix.zeros(indices.length, this.cols, this.dtype);
    for (let i = 0; i < indices.length; i++) out.data.set(this.row(indices[i]), i * this.cols);
    return out;
  }
}
