/**
 * Thrown before any change when the data given to `optimize` cannot be trained on.
 *
 * @category Errors
 */
export class TrainingDataError extends Error {
  /** Always `'TrainingDataError'`. */
  override readonly name = 'TrainingDataError';
}
