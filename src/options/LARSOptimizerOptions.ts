import { z } from 'zod';
import {
  flag,
  integerAtLeast,
  nonNegativeNumber,
  oneOf,
  percentile,
  positiveNumber,
  stateBits,
  strictlyIncreasingPositiveIntegers,
  uniqueNonNegativeIntegers,
} from './fieldRules.js';
import { LEARNING_RATE_SCHEDULES } from './OptimizationAlgorithmOptions.js';
import {
  checkGradientBasedRules,
  GradientBasedOptimizerOptions,
  gradientBasedOptimizerShape,
} from './GradientBasedOptimizerOptions.js';
import { larsRuleSchema, PAPER_RULE } from './LARSRule.js';

/**
 * The fields of {@link LARSOptimizerOptions}: the gradient-based fields with LARS defaults, plus the LARS and bitsandbytes knobs.
 *
 * @category Options
 */
export const larsOptimizerShape = gradientBasedOptimizerShape.extend({
  /** The base learning rate, scaled per layer by the trust ratio. Default 0.3. */
  initialLearningRate: positiveNumber().default(0.3),
  /** Examples per mini-batch; LARS is made for large ones (4096–32768). Default 4096. */
  batchSize: integerAtLeast(1).default(4096),
  /** L2 weight decay, also part of the trust ratio's denominator. Default 1e-4. */
  weightDecay: nonNegativeNumber().default(1e-4),
  /** Epochs of linear warmup from lr/W up to lr. Default 10. */
  warmupEpochs: integerAtLeast(0).default(10),
  /** The schedule after warmup. Default `'polynomial'` (power 2, as in the LARS paper). */
  learningRateSchedule: oneOf(LEARNING_RATE_SCHEDULES).default('polynomial'),
  /** Trust coefficient η: how far a layer may move relative to its weight norm. Default 0.001. */
  trustCoefficient: positiveNumber().default(0.001),
  /** Small constant in the trust ratio's denominator against division by zero. Default 1e-8. */
  epsilon: nonNegativeNumber().default(1e-8),
  /** Give bias and normalization layers ratio 1 and no weight decay (SimCLR/BYOL practice). Default true. */
  excludeBiasFromLARS: flag().default(true),
  /**
   * Cumulative exclusive layer ends in the flat parameter vector, e.g. `[784, 800]`
   * for layers [0, 784) and [784, 800). Elements after the last end form one more
   * layer. Default null: use the model's parameter layout, or one layer.
   */
  layerBoundaries: strictlyIncreasingPositiveIntegers().default(null),
  /** Indices of layers that use ratio 1 (plain momentum SGD) but keep weight decay. Default null (none). */
  skipLARSLayers: uniqueNonNegativeIntegers().default(null),
  /** Bits per momentum state element: 32, or 8 for blockwise-quantized state. Default 32. */
  optimBits: stateBits().default(32),
  /** Layers smaller than this keep 32-bit state even when optimBits is 8. Default 4096. */
  min8bitSize: integerAtLeast(1).default(4096),
  /** Clip each layer's gradient at this percentile of its last 100 norms; 100 turns it off. Default 100. */
  percentileClipping: percentile().default(100),
  /** Scale a layer's update down when ‖u‖ > maxUnorm·‖w‖; 0 turns it off. Default 0. */
  maxUnorm: nonNegativeNumber().default(0),
  /** How the per-layer update is formed; presets set a peer's record here. Default {@link PAPER_RULE}. */
  rule: larsRuleSchema.default(PAPER_RULE),
});

const schema = larsOptimizerShape.check((ctx) => checkGradientBasedRules(ctx.value, ctx.issues));

/**
 * What a user may pass to `new LARSOptimizerOptions(...)`: every field optional.
 *
 * @useDeclaredType
 *
 * @category Options
 */
export type LARSOptimizerOptionsInput = z.input<typeof schema>;
/**
 * The validated values of {@link LARSOptimizerOptions}, defaults filled in.
 *
 * @useDeclaredType
 *
 * @category Options
 */
export type LARSOptimizerOptionsValues = z.output<typeof schema>;

/**
 * The full zod schema of {@link LARSOptimizerOptions}.
 *
 * @category Options
 */
export const larsOptimizerSchema: z.ZodType<LARSOptimizerOptionsValues, LARSOptimizerOptionsInput> = schema;

export interface LARSOptimizerOptions extends Readonly<LARSOptimizerOptionsValues> {
  with(changes: LARSOptimizerOptionsInput): LARSOptimizerOptions;
  toJSON(): LARSOptimizerOptionsValues;
}

/**
 * Options of the LARS optimizer (You, Gitman & Ginsburg 2017), with AiDotNet's
 * names and defaults and the bitsandbytes knobs. Every layer gets its own
 * learning rate lr·λ from the trust ratio λ = η·‖w‖ / (‖g‖ + wd·‖w‖ + ε).
 *
 * @example
 * ```ts
 * const options = new LARSOptimizerOptions({ initialLearningRate: 1.6, warmupEpochs: 5 });
 * const nesterov = options.with({ useNesterov: true });
 * const text = JSON.stringify(options);
 * const back = LARSOptimizerOptions.fromJSON(text);
 * ```
 *
 * @category Options
 */
export class LARSOptimizerOptions extends GradientBasedOptimizerOptions {
  static override readonly schema: z.ZodType = larsOptimizerSchema;

  /**
   * Validates `input`, fills the defaults and freezes the result.
   *
   * @throws {@link OptionsValidationError} listing every problem, each naming its field and rule.
   */
  constructor(input: LARSOptimizerOptionsInput = {}) {
    super(input);
  }
}
