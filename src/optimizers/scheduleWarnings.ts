import type { ScheduleOptions } from './learningRateSchedule.js';

/**
 * How an optimizer words the two schedule warnings (the core optimizer and
 * the tfjs adapter name different fixes).
 *
 * @category Optimizers
 */
export interface ScheduleWarningText {
  /** Warmup or a decaying schedule (`asked`: e.g. `['warmupEpochs (10)', "learningRateSchedule 'polynomial'"]`) but no steps per epoch. */
  noStepsPerEpoch(asked: readonly string[], o: ScheduleOptions): string;
  /** Step `step` is past the end (`total` steps) of the decaying schedule. */
  pastEnd(step: number, total: number, stepsPerEpoch: number, o: ScheduleOptions): string;
}

/** The core optimizer's wording: steps per epoch come from the options, setStepsPerEpoch or optimize(); reset() restarts. */
const CORE_TEXT: ScheduleWarningText = {
  noStepsPerEpoch: (asked, o) =>
    `${asked.join(' and ')} count epochs, but this optimizer does not know how many steps make an epoch, so the learning rate stays at ` +
    `initialLearningRate (${o.initialLearningRate}). Pass stepsPerEpoch in the options or call setStepsPerEpoch(n) ` +
    `(optimize() does it for you), or set warmupEpochs: 0 and learningRateSchedule: 'constant' for a constant rate`,
  pastEnd: (step, total, stepsPerEpoch, o) =>
    `step ${step} is past the end of the '${o.learningRateSchedule}' schedule (maxIterations ${o.maxIterations} × ${stepsPerEpoch} steps per epoch = ${total} steps), ` +
    `so the learning rate stays at minLearningRate (${o.minLearningRate}) from now on. To train further with a schedule, call reset() ` +
    `(step count, momentum and schedule start again) or use an optimizer with a larger maxIterations`,
};

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
  private readonly text: ScheduleWarningText;
  private warnedNoEpochs = false;
  private warnedPastEnd = false;

  /**
   * @param warn - the optimizer's warning sink.
   * @param text - the wording. Default: the core optimizer's.
   */
  constructor(warn: (message: string) => void, text: ScheduleWarningText = CORE_TEXT) {
    this.warn = warn;
    this.text = text;
  }

  /** Checks the schedule before 1-based step `step`, with `stepsPerEpoch` as the optimizer knows it (null: unknown). */
  check(step: number, o: ScheduleOptions, stepsPerEpoch: number | null): void {
    if (step === 1) this.warnedPastEnd = false;
    const decays = o.learningRateSchedule !== 'constant';
    if (stepsPerEpoch === null) {
      if (this.warnedNoEpochs || (o.warmupEpochs === 0 && !decays)) return;
      this.warnedNoEpochs = true;
      const asked = [o.warmupEpochs > 0 ? `warmupEpochs (${o.warmupEpochs})` : null, decays ? `learningRateSchedule '${o.learningRateSchedule}'` : null];
      this.warn(this.text.noStepsPerEpoch(asked.filter((x) => x !== null), o));
      return;
    }
    const total = o.maxIterations * stepsPerEpoch;
    if (!decays || step <= total || this.warnedPastEnd) return;
    this.warnedPastEnd = true;
    this.warn(this.text.pastEnd(step, total, stepsPerEpoch, o));
  }
}
