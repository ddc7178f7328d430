import { Matrix } from '../numeric/Matrix.js';
import { Vector } from '../numeric/Vector.js';

/**
 * Number of examples in a data set: rows of a Matrix, elements of a Vector.
 *
 * @throws TypeError for anything else.
 *
 * @category Training
 */
export function rowCount(data: unknown, what: string): number {
  if (data instanceof Matrix) return data.rows;
  if (data instanceof Vector) return data.length;
  throw new TypeError(`${what} must be a Matrix or a Vector (one row per example)`);
}

/**
 * The examples at `indices`, in that order, as a new Matrix or Vector of the same kind.
 *
 * @category Training
 */
export function takeRows<D>(data: D, indices: ArrayLike<number>): D {
  if (data instanceof Matrix) return data.selectRows(indices) as D;
  if (data instanceof Vector) {
    const out = Vector.zeros(indices.length, data.dtype);
    for (let i = 0; i < indices.length; i++) out.data[i] = data.data[indices[i]];
    return out as D;
  }
  throw new TypeError('data must be a Matrix or a Vector (one row per example)');
}
