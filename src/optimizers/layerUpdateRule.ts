import type { LARSRule } from '../options/LARSRule.js';
import type { LayerCoefficients } from '../core/LayerCoefficients.js';

/**
 * The per-layer math of LARS as pure functions on a few numbers per layer.
 * Backends do the element loops; these decide what the loops multiply by.
 */

/**
 * Hyper-parameters of one step, shared by all layers.
 *
 * @category Rule math
 */
export interface StepHyperParameters {
  /** The learning rate of this step, after warmup and schedule. */
  readonly learningRate: number;
  /** Weight decay coefficient wd. */
  readonly weightDecay: number;
  /** Trust coefficient η. */
  readonly trustCoefficient: number;
  /** ε in the trust ratio's denominator. */
  readonly epsilon: number;
  /** Momentum μ; 0 means no momentum buffer. */
  readonly momentum: number;
  /** Dampening of the buffer's new direction. */
  readonly dampening: number;
  /** Nesterov momentum. */
  readonly nesterov: boolean;
  /** The rule record that shapes the update. */
  readonly rule: LARSRule;
  /** Whether this is the first step since the buffers were created (torch style copies d into the buffer). */
  readonly firstStep: boolean;
}

/**
 * What one layer contributes: its norms and how LARS treats it.
 *
 * @category Rule math
 */
export interface LayerStepInput {
  /** ‖w‖, the layer's weight norm. */
  readonly weightNorm: number;
  /** ‖g‖, the layer's gradient norm after clipping (i.e. already times `gradScale`). */
  readonly gradNorm: number;
  /** The factor the raw gradient is multiplied by (clipping); 1 when unclipped. */
  readonly gradScale: number;
  /** Whether the trust ratio may apply (false for skipped and excluded layers). */
  readonly adapt: boolean;
  /** Whether weight decay applies (false for excluded layers). */
  readonly decay: boolean;
}

/**
 * The trust ratio λ of one layer and whether weight decay stays in its direction.
 *
 * @category Rule math
 */
export interface TrustDecision {
  /** λ: the factor on the layer's direction d. */
  readonly ratio: number;
  /** The weight decay actually added to d (0 or wd). */
  readonly decay: number;
}

/**
 * Decides λ and the weight decay of one layer:
 * - a layer that does not adapt (skipped, excluded, or a rule without trust
 *   ratio) gets λ = 1 and its decay as flagged;
 * - a rule that adapts only with weight decay gets λ = 1 when wd = 0;
 * - ‖w‖ = 0 or ‖g‖ = 0 takes the rule's zero-norm fallback;
 * - else λ = η·‖w‖ / (‖g‖ + wd·‖w‖ + ε);
 * - with trustClip, λ ← min(λ / lr, 1), after the fallback.
 *
 * @category Rule math
 */
export function trustDecision(layer: LayerStepInput, hp: StepHyperParameters): TrustDecision {
  const wd = layer.decay ? hp.weightDecay : 0;
  const rule = hp.rule;
  if (!layer.adapt || !rule.useTrustRatio) return { ratio: 1, decay: wd };
  if (rule.adaptWhen === 'whenWeightDecayNonZero' && wd === 0) return { ratio: 1, decay: 0 };
  let ratio: number;
  let decay = wd;
  if (layer.weightNorm === 0 || layer.gradNorm === 0) {
    ratio = 1;
    if (rule.zeroNormFallback === 'plainGradient') decay = 0;
    else if (rule.trustClip) ratio = Math.min(ratio / hp.learningRate, 1);
    return { ratio, decay };
  }
  ratio = (hp.trustCoefficient * layer.weightNorm) / (layer.gradNorm + wd * layer.weightNorm + hp.epsilon);
  if (rule.trustClip) ratio = Math.min(ratio / hp.learningRate, 1);
  return { ratio, decay };
}

/**
 * Writes layer `l`'s fused-update coefficients (see {@link LayerCoefficients})
 * for the rule's momentum convention:
 * - `'lrInBuffer'`: v ← μ·v + (1 − damp)·lr·λ·d; w ← w − v (Nesterov: w ← w − (μ·v + lr·λ·d));
 * - `'torch'`: buf ← λ·d on the first step, else μ·buf + (1 − damp)·λ·d;
 *   u = buf (Nesterov: λ·d + μ·buf); w ← w − lr·u.
 * With momentum 0 there is no buffer: the update is the direction alone.
 *
 * @category Rule math
 */
export function writeLayerCoefficients(
  out: LayerCoefficients,
  l: number,
  layer: LayerStepInput,
  hp: StepHyperParameters,
): void {
  const { ratio, decay } = trustDecision(layer, hp);
  out.gradScale[l] = layer.gradScale;
  out.decay[l] = decay;
  const torch = hp.rule.momentumConvention === 'torch';
  const scaled = torch ? ratio : hp.learningRate * ratio;
  out.stepScale[l] = torch ? hp.learningRate : 1;
  if (hp.momentum === 0) {
    out.bufferMomentum[l] = 0;
    out.bufferGain[l] = 0;
    out.fromBuffer[l] = 0;
    out.fromDirection[l] = torch ? scaled : (1 - hp.dampening) * scaled;
    return;
  }
  const copyFirst = torch && hp.firstStep;
  out.bufferMomentum[l] = copyFirst ? 0 : hp.momentum;
  out.bufferGain[l] = copyFirst ? scaled : (1 - hp.dampening) * scaled;
  out.fromBuffer[l] = hp.nesterov ? hp.momentum : 1;
  out.fromDirection[l] = hp.nesterov ? scaled : 0;
}

/**
 * The factor on a layer's update under update-norm clipping: maxUnorm·‖w‖ / ‖u‖
 * when ‖u‖ > maxUnorm·‖w‖, else 1. A zero-weight layer gets 0 and stays put,
 * as in bitsandbytes' PytorchLARS. `maxUnorm` 0 turns the clip off.
 *
 * @category Rule math
 */
export function updateNormScale(updateNorm: number, weightNorm: number, maxUnorm: number): number {
  if (maxUnorm <= 0) return 1;
  const limit = maxUnorm * weightNorm;
  return updateNorm > limit ? limit / updateNorm : 1;
}

/**
 * The factor that clips a global gradient norm to `maxNorm`: maxNorm / norm when norm > maxNorm, else 1.
 *
 * @category Rule math
 */
export function globalClipScale(gradNorm: number, maxNorm: number): number {
  return gradNorm > maxNorm ? maxNorm / gradNorm : 1;
}
