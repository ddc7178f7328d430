import type { FullModel } from '../models/FullModel.js';
import { evaluateModel } from '../models/evaluateModel.js';
import { Matrix } from '../numeric/Matrix.js';
import type { NumericType } from '../numeric/NumericType.js';
import { Vector } from '../numeric/Vector.js';
import { takeRows } from './batchRows.js';
import type { TrainingData } from './OptimizationResult.js';
import { TrainingDataError } from './TrainingDataError.js';

/** The sets of a {@link TrainingData}, with the names users know them by. */
const SETS = [
  ['xTrain', 'yTrain'],
  ['xValidation', 'yValidation'],
  ['xTest', 'yTest'],
] as const;

/**
 * Checks, before training changes anything, that every given data set fits
 * the model (column counts, numeric type: the model's own checks run on the
 * first row of each set) and holds only finite numbers.
 *
 * @throws {@link TrainingDataError} naming the set and the problem.
 *
 * @category Training
 */
export function checkDataFitsModel<T extends NumericType, TInput, TOutput>(
  model: FullModel<T, TInput, TOutput>,
  data: TrainingData<TInput, TOutput>,
): void {
  for (const [xName, yName] of SETS) {
    const x = data[xName];
    const y = data[yName];
    if (x === undefined || y === undefined) continue;
    checkFinite(x, xName);
    checkFinite(y, yName);
    const first = [0];
    try {
      evaluateModel(model, takeRows(x, first), takeRows(y, first));
    } catch (error) {
      throw new TrainingDataError(`${xName}/${yName} do not fit the model: ${(error as Error).message}`);
    }
  }
}

/** Throws when a Matrix or Vector data set holds NaN or ±Infinity, naming the first such element. */
function checkFinite(set: unknown, name: string): void {
  if (!(set instanceof Matrix) && !(set instanceof Vector)) return;
  const values = set.data;
  const cols = set instanceof Matrix ? set.cols : 1;
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      const where = set instanceof Matrix ? `row ${Math.floor(i / cols)}, column ${i % cols}` : `element ${i}`;
      throw new TrainingDataError(
        `${name} holds ${values[i]} at ${where}; a model cannot learn from it, and activations such as ReLU could hide it. Remove or impute such values first`,
      );
    }
  }
}
