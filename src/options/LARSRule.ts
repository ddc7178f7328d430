import { z } from 'zod';
import { flag } from './fieldRules.js';

const ruleObject = z.strictObject({
  /** Whether the trust ratio is used at all (bitsandbytes' PytorchLARS: no). */
  useTrustRatio: flag(),
  /**
   * When a layer adapts: `'always'`, or only `'whenWeightDecayNonZero'`
   * (timm and Lightning Bolts run plain momentum SGD when weight decay is 0).
   */
  adaptWhen: z.enum(['always', 'whenWeightDecayNonZero'], {
    error: "must be 'always' or 'whenWeightDecayNonZero'",
  }),
  /**
   * What a layer with ‖w‖ = 0 or ‖g‖ = 0 does: `'unitRatio'` keeps weight decay
   * with ratio 1 (paper, timm); `'plainGradient'` uses the raw gradient with
   * no decay (Lightning Bolts).
   */
  zeroNormFallback: z.enum(['unitRatio', 'plainGradient'], { error: "must be 'unitRatio' or 'plainGradient'" }),
  /** timm's trust_clip: ratio ← min(ratio / lr, 1), after the zero-norm fallback. */
  trustClip: flag(),
  /**
   * Where the learning rate enters momentum:
   * - `'lrInBuffer'` (paper, AiDotNet): v ← μ·v + (1 − dampening)·lr·λ·d, w ← w − v.
   * - `'torch'` (timm, Bolts, bitsandbytes): buf ← d·λ on the first step, then
   *   μ·buf + (1 − dampening)·d·λ, and w ← w − lr·buf.
   */
  momentumConvention: z.enum(['lrInBuffer', 'torch'], { error: "must be 'lrInBuffer' or 'torch'" }),
});

/**
 * How one LARS family forms its per-layer update. The optimizer reads only
 * this record, never a preset's name, so a new peer is a new record and
 * nothing else.
 *
 * @useDeclaredType
 *
 * @category Options
 */
export type LARSRule = z.output<typeof ruleObject>;

/**
 * The zod schema of a {@link LARSRule}.
 *
 * @category Options
 */
export const larsRuleSchema: z.ZodType<LARSRule, LARSRule> = ruleObject;

/**
 * The rule of the LARS paper and AiDotNet's options: always adapt, ratio 1 on zero norms, lr inside momentum.
 *
 * @category Options
 */
export const PAPER_RULE: LARSRule = Object.freeze({
  useTrustRatio: true,
  adaptWhen: 'always',
  zeroNormFallback: 'unitRatio',
  trustClip: false,
  momentumConvention: 'lrInBuffer',
});

/**
 * timm's `Lars`: adapts only with weight decay (or always_adapt), ratio 1 on zero norms, torch momentum.
 *
 * @category Options
 */
export const TIMM_RULE: LARSRule = Object.freeze({
  useTrustRatio: true,
  adaptWhen: 'whenWeightDecayNonZero',
  zeroNormFallback: 'unitRatio',
  trustClip: false,
  momentumConvention: 'torch',
});

/**
 * Lightning Bolts' `LARS`: adapts only with weight decay and non-zero norms, else the plain gradient.
 *
 * @category Options
 */
export const BOLTS_RULE: LARSRule = Object.freeze({
  useTrustRatio: true,
  adaptWhen: 'whenWeightDecayNonZero',
  zeroNormFallback: 'plainGradient',
  trustClip: false,
  momentumConvention: 'torch',
});

/**
 * bitsandbytes' `PytorchLARS`: no trust ratio, decayed gradient, torch momentum (update-norm clip via maxUnorm).
 *
 * @category Options
 */
export const BITSANDBYTES_RULE: LARSRule = Object.freeze({
  useTrustRatio: false,
  adaptWhen: 'always',
  zeroNormFallback: 'unitRatio',
  trustClip: false,
  momentumConvention: 'torch',
});
