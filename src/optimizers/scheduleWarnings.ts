import type { LearningRateSchedule } from '../options/OptimizationAlgorithmOptions.js';

/**
 * The options a learning-rate schedule is built from.
 *
 * @category Optimizers
 */
export interface ScheduleOptions {
  /** Epochs of linear warmup. */
  readonly warmupEpochs: number;
  /** The schedule after warmup. */
  readonly learningRateSchedule: LearningRateSchedule;
  /** Epochs in the whole run: where a decaying schedule ends. */
  readonly maxIterations: number;
  /** The rate a decaying schedule ends at. */
  readonly minLearningRate: number;
  /** The rate after warmup. */
  readonly initialLearningRate: number;
}

/**
 * Says once, through the optimizer's warning sink, when the schedule cannot
 * do what the options ask:
 * - warmup or a decaying schedule without steps per epoch (stepping by hand
 *   without `stepsPerEpoch`): the rate stays at `initialLearningRate`;
 * - a step past the end of a decaying schedule (`maxIterations` epochs): the
 *   rate rests at `minLearningRate`, e.g. a second `optimize()` that
 *   continues after a first one that ran every epoch.
 * Each warning comes once until the step count starts again from 1 (after
 * `reset()`), and names the fix.
 *
 * @category Optimizers
 */
export class ScheduleWarnings {
  private readonly warn: (message: string) => void;
  private warnedNoEpochs = false;
  private warnedPastEnd = false;

  /** @param warn - the optimizer's warning sink. */
  constructor(warn: (message: string) => void) {
    this.warn = warn;
  }

  /** Checks the schedule before 1-based step `step`, with `stepsPerEpoch` as the optimizer knows it (null: unknown). */
  check(step: number, o: ScheduleOptions, stepsPerEpoch: number | null): void {
    if (step === 1) this.warnedPastEnd = false;
    const decays = o.learningRateSchedule !== 'constant';
    if (stepsPerEpoch === null) {
      if (this.warnedNoEpochs || (o.warmupEpochs === 0 && !decays)) return;
      this.warnedNoEpochs = true;
      const asked = [o.warmupEpochs > 0 ? `warmupEpochs (${o.warmupEpochs})` : null, decays ? `learningRateSchedule '${o.learningRateSchedule}'` : null]
        .filter((x) => x !== null)
        .join(' and ');
      this.warn(
        `${asked} count epochs, but this optimizer does not know how many steps make an epoch, so the learning rate stays at ` +
          `initialLearningRate (${o.initialLearningRate}). Pass stepsPerEpoch in the options or call setStepsPerEpoch(n) ` +
          `(optimize() does it for you), or set warmupEpochs: 0 and learningRateSchedule: 'constant' for a constant rate`,
      );
      return;
    }
    const total = o.maxIterations * stepsPerEpoch;
    if (!decays || step <= total || this.warnedPastEnd) return;
    this.warnedPastEnd = true;
    this.warn(
      `step ${step} is past the end of the '${o.learningRateSchedule}' schedule (maxIterations ${o.maxIterations} × ${stepsPerEpoch} steps per epoch = ${total} steps), ` +
        `so the learning rate stays at minLearningRate (${o.minLearningRate}) from now on. To train further with a schedule, call reset() ` +
        `(step count, momentum and schedule start again) or use an optimizer with a larger maxIterations`,
    );
  }
}
