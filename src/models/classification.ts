import { Matrix } from '../numeric/Matrix.js';
import type { NumericType } from '../numeric/NumericType.js';

/**
 * One-hot targets: row i has a 1 in column `labels[i]` and zeros elsewhere.
 *
 * @throws RangeError when a label is not an integer in [0, classes).
 *
 * @category Models
 */
export function oneHot<T extends NumericType>(labels: ArrayLike<number>, classes: number, dtype: T): Matrix<T> {
  const out = Matrix.zeros(labels.length, classes, dtype);
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    if (!Number.isInteger(label) || label < 0 || label >= classes) {
      throw new RangeError(`label ${label} at row ${i} is not a class in 0..${classes - 1}`);
    }
    out.data[i * classes + label] = 1;
  }
  return out;
}

/**
 * The column of the largest value in each row (the predicted class).
 *
 * @category Models
 */
export function argmaxRows(m: Matrix): Uint32Array {
  const out = new Uint32Array(m.rows);
  for (let i = 0; i < m.rows; i++) {
    const r = i * m.cols;
    let best = 0;
    for (let j = 1; j < m.cols; j++) if (m.data[r + j] > m.data[r + best]) best = j;
    out[i] = best;
  }
  return out;
}

/**
 * The share of rows whose largest prediction sits where the target's largest
 * value does, in [0, 1].
 *
 * @throws RangeError when the shapes differ.
 *
 * @category Models
 */
export function classificationAccuracy(predictions: Matrix, targets: Matrix): number {
  if (predictions.rows !== targets.rows || predictions.cols !== targets.cols) {
    throw new RangeError(
      `predictions are ${predictions.rows} × ${predictions.cols} but targets are ${targets.rows} × ${targets.cols}`,
    );
  }
  if (predictions.rows === 0) return 0;
  const p = argmaxRows(predictions);
  const t = argmaxRows(targets);
  let hits = 0;
  for (let i = 0; i < p.length; i++) if (p[i] === t[i]) hits++;
  return hits / p.length;
}
