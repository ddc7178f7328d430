import { allocateCoefficients, type LayerCoefficients } from '../core/LayerCoefficients.js';
import { globalClipScale, updateNormScale, writeLayerCoefficients, type StepHyperParameters } from './layerUpdateRule.js';
import type { PercentileClipper } from './PercentileClipper.js';

/**
 * How LARS treats one layer: its index in the norms and whether the trust ratio and weight decay apply.
 *
 * @category Rule math
 */
export interface LayerFlags {
  /** Position of the layer: its norms sit at `2·index` (‖w‖²) and `2·index + 1` (‖g‖²). */
  readonly index: number;
  /** Whether the trust ratio may apply (false for skipped and excluded layers). */
  readonly adapt: boolean;
  /** Whether weight decay applies (false for excluded layers). */
  readonly decay: boolean;
}

/**
 * Everything one step's per-layer math reads: a few numbers per layer and the step's hyper-parameters.
 *
 * @category Rule math
 */
export interface StepCoefficientsInput {
  /** The layers, in order (a {@link LayerPlan}'s segments serve). */
  readonly layers: readonly LayerFlags[];
  /** Squared norms, interleaved: `[‖w₀‖², ‖g₀‖², ‖w₁‖², ‖g₁‖², …]`, as a backend's `layerNorms` returns them. */
  readonly squaredNorms: ArrayLike<number>;
  /** Learning rate, decay, trust coefficient, momentum convention and the rest for this step. */
  readonly hyper: StepHyperParameters;
  /** The global gradient-norm limit, or null when global clipping is off. */
  readonly maxGradientNorm: number | null;
  /** Per-layer percentile clipping (read, never changed here), or null when off. */
  readonly percentileClipper: PercentileClipper | null;
  /** 1-based number of this step (percentile clipping fills its history on step 1). */
  readonly stepNumber: number;
}

/**
 * The result of {@link computeStepCoefficients}.
 *
 * @category Rule math
 */
export interface StepCoefficients {
  /** What each layer's fused update multiplies by. */
  readonly coefficients: LayerCoefficients;
  /** Each layer's squared gradient norm after global clipping: what percentile clipping records once the step succeeds. */
  readonly clippedGradientSq: Float64Array;
}

/**
 * One step's per-layer math, from norms to coefficients, with no backend and
 * no state: global gradient clipping, then percentile clipping, then each
 * layer's trust ratio and momentum coefficients
 * ({@link writeLayerCoefficients}). The update-norm clip, which needs the
 * update's norms, comes after: {@link clipUpdateNorms}.
 *
 * @category Rule math
 */
export function computeStepCoefficients(input: StepCoefficientsInput): StepCoefficients {
  const { layers, squaredNorms: norms } = input;
  const count = layers.length;
  let globalScale = 1;
  if (input.maxGradientNorm !== null) {
    let total = 0;
    for (let l = 0; l < count; l++) total += norms[2 * l + 1];
    globalScale = globalClipScale(Math.sqrt(total), input.maxGradientNorm);
  }
  const clippedGradientSq = new Float64Array(count);
  for (let l = 0; l < count; l++) clippedGradientSq[l] = norms[2 * l + 1] * globalScale * globalScale;
  const percentileScales =
    input.percentileClipper?.scales(clippedGradientSq, input.stepNumber) ?? new Float64Array(count).fill(1);

  const coefficients = allocateCoefficients(count);
  for (const layer of layers) {
    const l = layer.index;
    writeLayerCoefficients(
      coefficients,
      l,
      {
        weightNorm: Math.sqrt(norms[2 * l]),
        gradNorm: Math.sqrt(clippedGradientSq[l]) * percentileScales[l],
        gradScale: globalScale * percentileScales[l],
        adapt: layer.adapt,
        decay: layer.decay,
      },
      input.hyper,
    );
  }
  return { coefficients, clippedGradientSq };
}

/**
 * Scales each layer's step so that ‖u‖ ≤ maxUnorm·‖w‖ (bitsandbytes'
 * `max_unorm`), in place on `coefficients.stepScale`.
 *
 * @param updateSq - each layer's squared update norm ‖u‖², from a backend's `updateNorms`.
 * @param squaredNorms - the same interleaved squared norms the coefficients were made from.
 * @param maxUnorm - the clip; 0 turns it off.
 *
 * @category Rule math
 */
export function clipUpdateNorms(
  coefficients: LayerCoefficients,
  updateSq: ArrayLike<number>,
  squaredNorms: ArrayLike<number>,
  maxUnorm: number,
): void {
  for (let l = 0; l < coefficients.stepScale.length; l++) {
    coefficients.stepScale[l] *= updateNormScale(Math.sqrt(updateSq[l]), Math.sqrt(squaredNorms[2 * l]), maxUnorm);
  }
}

/**
 * The first layer whose squared norms are not finite (NaN or ±Infinity in
 * its gradient or weights, or squares that overflow), and which of the two,
 * gradient first; null when all are finite. Optimizers refuse such a step
 * before anything changes.
 */
export function firstNonFiniteNorm<L extends LayerFlags>(
  layers: readonly L[],
  squaredNorms: ArrayLike<number>,
): { readonly layer: L; readonly what: 'gradient' | 'parameters' } | null {
  for (const layer of layers) {
    if (!Number.isFinite(squaredNorms[2 * layer.index + 1])) return { layer, what: 'gradient' };
    if (!Number.isFinite(squaredNorms[2 * layer.index])) return { layer, what: 'parameters' };
  }
  return null;
}
