import type { FullModel } from '../models/FullModel.js';
import type { NumericType } from '../numeric/NumericType.js';
import { LARSOptimizerOptions, type LARSOptimizerOptionsInput } from '../options/LARSOptimizerOptions.js';
import { GradientBasedOptimizer, type OptimizerSetup, type UpdateRuleSettings } from './GradientBasedOptimizer.js';

/**
 * LARS, Layer-wise Adaptive Rate Scaling (You, Gitman & Ginsburg 2017), over a
 * flat parameter vector split into layers. Each layer steps with its own rate
 * lr·λ, where λ = η·‖w‖ / (‖g‖ + wd·‖w‖ + ε), so large-batch training stays
 * stable.
 *
 * Per layer (default rule): d = g + wd·w; v ← μ·v + (1 − dampening)·lr·λ·d;
 * w ← w − v (Nesterov: w ← w − (μ·v + lr·λ·d)). Skipped layers use λ = 1 and
 * keep weight decay; with `excludeBiasFromLARS`, bias and norm layers use
 * λ = 1 and no decay. Presets swap in timm's, Lightning Bolts' or
 * bitsandbytes' rule.
 *
 * @typeParam T - numeric type of parameters and gradients, `'float32'` or `'float64'`.
 * @typeParam TInput - a batch of model inputs.
 * @typeParam TOutput - a batch of model outputs.
 *
 * @example
 * ```ts
 * const opt = new LARSOptimizer<'float32'>(null, { initialLearningRate: 1, warmupEpochs: 0 },
 *   { layout: [{ name: 'w', size: 6, kind: 'weight' }, { name: 'b', size: 2, kind: 'bias' }] });
 * const w = new Vector(new Float32Array(8).fill(0.5));
 * opt.step(w, new Vector(new Float32Array(8).fill(0.1)));
 * ```
 *
 * @category Optimizers
 */
export class LARSOptimizer<T extends NumericType = NumericType, TInput = unknown, TOutput = unknown> extends GradientBasedOptimizer<
  T,
  TInput,
  TOutput,
  LARSOptimizerOptions
> {
  /**
   * @param model - the model to train, or null to step by hand.
   * @param options - a {@link LARSOptimizerOptions}, or a plain partial object validated into one. Default: all defaults.
   * @param setup - a layout for hand-stepping, a backend instance, a warning sink.
   * @throws {@link OptionsValidationError} when plain options are invalid.
   */
  constructor(
    model: FullModel<T, TInput, TOutput> | null = null,
    options: LARSOptimizerOptions | LARSOptimizerOptionsInput = {},
    setup: OptimizerSetup = {},
  ) {
    super(model, options instanceof LARSOptimizerOptions ? options : new LARSOptimizerOptions(options), setup);
  }

  protected updateRuleSettings(): UpdateRuleSettings {
    const o = this.options;
    return {
      kind: 'lars',
      plan: o,
      rule: o.rule,
      trustCoefficient: o.trustCoefficient,
      epsilon: o.epsilon,
      maxUnorm: o.maxUnorm,
      percentileClipping: o.percentileClipping,
    };
  }
}
