/**
 * Thrown when a step failed after it had started to write: the parameters
 * and momentum may be partly updated, so the step can neither be finished
 * nor run again (that would apply part of it twice). Backend fallback never
 * retries such a step. To go on, restore parameters and optimizer state from
 * a checkpoint (`saveState`/`loadState` and the model's saved parameters).
 *
 * @category Errors
 */
export class PartialStepError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(`${message}; the parameters and momentum may be partly updated, so the step is not retried: restore them from a checkpoint before stepping again`, options);
    this.name = 'PartialStepError';
  }
}
