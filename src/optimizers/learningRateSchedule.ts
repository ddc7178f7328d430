import type { GradientBasedOptimizerOptionsValues } from '../options/GradientBasedOptimizerOptions.js';
import type { LearningRateSchedule } from '../options/OptimizationAlgorithmOptions.js';

/**
 * What the learning rate of a step depends on.
 *
 * @category Rule math
 */
export interface ScheduleSettings {
  /** The peak learning rate, reached at the end of warmup. */
  readonly initialLearningRate: number;
  /** The floor that decaying schedules approach. */
  readonly minLearningRate: number;
  /** The schedule after warmup. */
  readonly schedule: LearningRateSchedule;
  /** The power of the polynomial schedule. */
  readonly polynomialPower: number;
  /** Steps of linear warmup (0 for none). */
  readonly warmupSteps: number;
  /** Steps in the whole run, or null when unknown (then the schedule stays constant after warmup). */
  readonly totalSteps: number | null;
}

/**
 * The learning rate of step `step` (1-based):
 * - during warmup (step ≤ W) it rises linearly, lr·step/W, from lr/W to lr;
 * - after it, with t = step − W − 1 and T = totalSteps − W, it is
 *   - constant: lr;
 *   - polynomial: min + (lr − min)·(1 − t/T)^power;
 *   - cosine: min + (lr − min)·(1 + cos(π·t/T))/2;
 *   and t is held at T past the end, so the rate rests at the floor.
 * An unknown total keeps the rate at lr after warmup.
 *
 * @category Rule math
 */
export function learningRateAt(step: number, s: ScheduleSettings): number {
  const lr = s.initialLearningRate;
  const warmup = s.warmupSteps;
  if (warmup > 0 && step <= warmup) return (lr * step) / warmup;
  if (s.schedule === 'constant' || s.totalSteps === null) return lr;
  const span = s.totalSteps - warmup;
  if (span <= 0) return lr;
  const progress = Math.min(Math.max(step - warmup - 1, 0), span) / span;
  const range = lr - s.minLearningRate;
  if (s.schedule === 'polynomial') return s.minLearningRate + range * Math.pow(1 - progress, s.polynomialPower);
  return s.minLearningRate + (range * (1 + Math.cos(Math.PI * progress))) / 2;
}

/**
 * The schedule fields of an optimizer's options (every options level has them).
 *
 * @category Rule math
 */
export type ScheduleOptions = Pick<
  GradientBasedOptimizerOptionsValues,
  'initialLearningRate' | 'minLearningRate' | 'learningRateSchedule' | 'polynomialPower' | 'warmupEpochs' | 'maxIterations'
>;

/**
 * {@link ScheduleSettings} from options counted in epochs and the steps that
 * make an epoch; with `stepsPerEpoch` unknown (null) there is no warmup and
 * the rate stays constant.
 *
 * @category Rule math
 */
export function scheduleFor(options: ScheduleOptions, stepsPerEpoch: number | null): ScheduleSettings {
  return {
    initialLearningRate: options.initialLearningRate,
    minLearningRate: options.minLearningRate,
    schedule: options.learningRateSchedule,
    polynomialPower: options.polynomialPower,
    warmupSteps: stepsPerEpoch === null ? 0 : options.warmupEpochs * stepsPerEpoch,
    totalSteps: stepsPerEpoch === null ? null : options.maxIterations * stepsPerEpoch,
  };
}

/**
 * Checks a steps-per-epoch count: a positive integer, or null for unknown.
 *
 * @throws RangeError otherwise.
 * @category Rule math
 */
export function checkStepsPerEpoch(steps: number | null): void {
  if (steps !== null && !(Number.isInteger(steps) && steps >= 1)) {
    throw new RangeError(`stepsPerEpoch must be a positive integer or null, got ${String(steps)}`);
  }
}
