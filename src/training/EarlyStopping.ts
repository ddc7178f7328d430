/**
 * Tracks the best loss and counts epochs without improvement. An epoch
 * improves when its loss is lower than the best by more than `tolerance`;
 * training should stop once `patience` epochs in a row have not improved.
 * (Improvement resets the count, so a run that keeps improving never stops.)
 *
 * @category Training
 */
export class EarlyStopping {
  /** Best loss so far; Infinity before the first epoch. */
  best = Infinity;
  /** The 1-based epoch of the best loss; 0 before any. */
  bestEpoch = 0;
  /** Epochs in a row without improvement. */
  epochsWithoutImprovement = 0;

  /**
   * @param patience - epochs without improvement to wait, at least 1.
   * @param tolerance - the least drop that counts as improvement, ≥ 0.
   */
  constructor(
    readonly patience: number,
    readonly tolerance: number,
  ) {
    if (!Number.isInteger(patience) || patience < 1) throw new RangeError(`patience must be a positive integer, got ${patience}`);
    if (!(tolerance >= 0)) throw new RangeError(`tolerance must be non-negative, got ${tolerance}`);
  }

  /** Records the loss of `epoch`; returns true when it is a new best. */
  record(epoch: number, loss: number): boolean {
    if (loss < this.best - this.tolerance || (this.bestEpoch === 0 && Number.isFinite(loss))) {
      this.best = loss;
      this.bestEpoch = epoch;
      this.epochsWithoutImprovement = 0;
      return true;
    }
    this.epochsWithoutImprovement++;
    return false;
  }

  /** Whether `patience` epochs in a row have passed without improvement. */
  get shouldStop(): boolean {
    return this.epochsWithoutImprovement >= this.patience;
  }
}
