import { z } from 'zod';
import { flag, integerAtLeast, nonNegativeNumber, positiveNumber, unitIntervalClosed, unitIntervalOpenAbove } from './fieldRules.js';
import {
  checkOptimizationAlgorithmRules,
  OptimizationAlgorithmOptions,
  optimizationAlgorithmShape,
} from './OptimizationAlgorithmOptions.js';

/**
 * Where the optimizer's hot loops run.
 *
 * @category Options
 */
export const BACKEND_CHOICES = ['auto', 'gpu', 'cpu'] as const;

/**
 * Where the optimizer's hot loops run.
 * - `'auto'`: the GPU when one is available and passes a start-up self-check, else the CPU.
 * - `'gpu'`: the GPU, or a clear error saying why it cannot run.
 * - `'cpu'`: the CPU fallback.
 *
 * @category Options
 */
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

const CPU_THREADS_RULE = "must be 'auto' or an integer in [1, 256]";

/**
 * The fields of {@link GradientBasedOptimizerOptions}: the base fields plus mini-batch, momentum and clipping knobs.
 *
 * @category Options
 */
export const gradientBasedOptimizerShape = optimizationAlgorithmShape.extend({
  /** Examples per mini-batch. Default 32 (LARS: 4096). */
  batchSize: integerAtLeast(1).default(32),
  /** Momentum coefficient μ: how much of the previous step carries into the next. Default 0.9. */
  momentum: unitIntervalOpenAbove().default(0.9),
  /** Dampening: the share of each new direction held back from the momentum buffer. Default 0. */
  dampening: unitIntervalClosed().default(0),
  /** Use Nesterov momentum (look ahead along the momentum before stepping). Needs momentum > 0 and dampening 0. Default false. */
  useNesterov: flag().default(false),
  /** L2 weight decay coefficient added to the gradient as wd·w. Default 0 (LARS: 1e-4). */
  weightDecay: nonNegativeNumber().default(0),
  /** Epochs of linear learning-rate warmup from lr/W up to lr. Default 0 (LARS: 10). */
  warmupEpochs: integerAtLeast(0).default(0),
  /** Clip the whole gradient to `maxGradientNorm` before the step. Default false. */
  useGradientClipping: flag().default(false),
  /** The largest global gradient norm let through when clipping is on. Default 1. */
  maxGradientNorm: positiveNumber().default(1),
  /** Where the hot loops run: `'auto'`, `'gpu'` or `'cpu'`. Default `'auto'`. */
  backend: z
    .enum(BACKEND_CHOICES, { error: `must be one of ${BACKEND_CHOICES.map((s) => `'${s}'`).join(', ')}` })
    .default('auto'),
  /**
   * Threads the WebAssembly CPU backend may use for large zero-copy steps:
   * 1 = the calling thread only, n = the calling thread plus n − 1 worker
   * threads, `'auto'` = one per core. Node only; elsewhere it runs on one
   * thread. More threads help only when cores are free. Default 1.
   */
  cpuThreads: z
    .union(
      [
        z.literal('auto'),
        z.number().int({ error: CPU_THREADS_RULE }).min(1, { error: CPU_THREADS_RULE }).max(256, { error: CPU_THREADS_RULE }),
      ],
      { error: CPU_THREADS_RULE },
    )
    .default(1),
});

type GradientBasedValues = z.output<typeof gradientBasedOptimizerShape>;

/**
 * Cross-field rules of the gradient-based level (and the base level's).
 *
 * @category Options
 */
export function checkGradientBasedRules(value: GradientBasedValues, issues: z.core.$ZodRawIssue[]): void {
  checkOptimizationAlgorithmRules(value, issues);
  if (value.warmupEpochs > value.maxIterations) {
    issues.push({
      code: 'custom',
      input: value,
      path: ['warmupEpochs'],
      message:
        `must not exceed maxIterations (${value.maxIterations}): training would end inside warmup and never reach initialLearningRate; ` +
        `lower warmupEpochs or raise maxIterations`,
    });
  }
  if (value.useNesterov && (value.momentum === 0 || value.dampening !== 0)) {
    issues.push({
      code: 'custom',
      input: value,
      path: ['useNesterov'],
      message: `Nesterov momentum needs momentum > 0 and dampening = 0 (momentum is ${value.momentum}, dampening is ${value.dampening})`,
    });
  }
}

const schema = gradientBasedOptimizerShape.check((ctx) => checkGradientBasedRules(ctx.value, ctx.issues));

/**
 * What a user may pass to `new GradientBasedOptimizerOptions(...)`: every field optional.
 *
 * @useDeclaredType
 *
 * @category Options
 */
export type GradientBasedOptimizerOptionsInput = z.input<typeof schema>;
/**
 * The validated values of {@link GradientBasedOptimizerOptions}, defaults filled in.
 *
 * @useDeclaredType
 *
 * @category Options
 */
export type GradientBasedOptimizerOptionsValues = z.output<typeof schema>;

/**
 * The full zod schema of {@link GradientBasedOptimizerOptions}.
 *
 * @category Options
 */
export const gradientBasedOptimizerSchema: z.ZodType<GradientBasedOptimizerOptionsValues, GradientBasedOptimizerOptionsInput> = schema;

export interface GradientBasedOptimizerOptions extends Readonly<GradientBasedOptimizerOptionsValues> {
  with(changes: GradientBasedOptimizerOptionsInput): GradientBasedOptimizerOptions;
  toJSON(): GradientBasedOptimizerOptionsValues;
}

/**
 * Options for optimizers that follow a gradient: mini-batch size, momentum
 * (with dampening and Nesterov), weight decay, warmup, gradient clipping and
 * the backend. Plain SGD with momentum uses this level directly.
 *
 * @example
 * ```ts
 * const sgd = new GradientBasedOptimizerOptions({ initialLearningRate: 0.1, batchSize: 256 });
 * ```
 *
 * @category Options
 */
export class GradientBasedOptimizerOptions extends OptimizationAlgorithmOptions {
  static override readonly schema: z.ZodType = gradientBasedOptimizerSchema;

  /**
   * Validates `input`, fills the defaults and freezes the result.
   *
   * @throws {@link OptionsValidationError} listing every problem.
   */
  constructor(input: GradientBasedOptimizerOptionsInput = {}) {
    super(input);
  }
}
