import { PLAIN_PLAN } from '../core/LayerPlan.js';
import type { FullModel } from '../models/FullModel.js';
import type { NumericType } from '../numeric/NumericType.js';
import { GradientBasedOptimizerOptions, type GradientBasedOptimizerOptionsInput } from '../options/GradientBasedOptimizerOptions.js';
import type { LARSRule } from '../options/LARSRule.js';
import { GradientBasedOptimizer, type OptimizerSetup, type UpdateRuleSettings } from './GradientBasedOptimizer.js';

/**
 * The rule of plain momentum SGD as a rule record: no trust ratio (every
 * layer's ratio is 1) and PyTorch's momentum convention.
 *
 * @category Optimizers
 */
export const MOMENTUM_SGD_RULE: LARSRule = Object.freeze({
  useTrustRatio: false,
  adaptWhen: 'always',
  zeroNormFallback: 'unitRatio',
  trustClip: false,
  momentumConvention: 'torch',
});

/**
 * Plain SGD with momentum, as `torch.optim.SGD` does it, for comparison with
 * LARS: d = g + wd·w on every tensor (biases too), buf ← d on the first step
 * then μ·buf + (1 − dampening)·d, and w ← w − lr·buf (Nesterov:
 * w ← w − lr·(d + μ·buf)). It runs through the same step machinery as LARS,
 * only with a rule whose trust ratio is off.
 *
 * @example
 * ```ts
 * const sgd = new MomentumSGDOptimizer(model, { initialLearningRate: 0.1, batchSize: 256, momentum: 0.9 });
 * const result = await sgd.optimize({ xTrain, yTrain });
 * ```
 *
 * @category Optimizers
 */
export class MomentumSGDOptimizer<T extends NumericType = NumericType, TInput = unknown, TOutput = unknown> extends GradientBasedOptimizer<
  T,
  TInput,
  TOutput,
  GradientBasedOptimizerOptions
> {
  /**
   * @param model - the model to train, or null to step by hand.
   * @param options - a {@link GradientBasedOptimizerOptions} or a plain partial object. Default: all defaults (lr 0.01, momentum 0.9).
   * @param setup - a layout for hand-stepping, a backend instance, a warning sink.
   * @throws {@link OptionsValidationError} when plain options are invalid.
   */
  constructor(
    model: FullModel<T, TInput, TOutput> | null = null,
    options: GradientBasedOptimizerOptions | GradientBasedOptimizerOptionsInput = {},
    setup: OptimizerSetup = {},
  ) {
    super(model, options instanceof GradientBasedOptimizerOptions ? options : new GradientBasedOptimizerOptions(options), setup);
  }

  protected updateRuleSettings(): UpdateRuleSettings {
    return {
      kind: 'momentum-sgd',
      plan: PLAIN_PLAN,
      rule: MOMENTUM_SGD_RULE,
      trustCoefficient: 1,
      epsilon: 0,
      maxUnorm: 0,
      percentileClipping: 100,
    };
  }
}
