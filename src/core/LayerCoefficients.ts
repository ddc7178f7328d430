/**
 * The per-layer numbers of one fused update, as parallel Float64Arrays indexed
 * by layer. For every element i of layer l, a backend computes
 *
 * ```
 * d    = gradScale[l]·g[i] + decay[l]·w[i]
 * b    = bufferMomentum[l]·buf[i] + bufferGain[l]·d      (buf[i] ← b)
 * u    = fromBuffer[l]·b + fromDirection[l]·d
 * w[i] ← w[i] − stepScale[l]·u
 * ```
 *
 * Every LARS variant (paper, timm, Bolts, bitsandbytes, skipped and excluded
 * layers, Nesterov, dampening, clipping) is a choice of these seven numbers,
 * so backends implement one kernel and never branch on the rule.
 *
 * @category Backends
 */
export interface LayerCoefficients {
  /** Multiplies the raw gradient (global and percentile clipping). */
  readonly gradScale: Float64Array;
  /** Weight decay added to the direction (0 for excluded layers). */
  readonly decay: Float64Array;
  /** Multiplies the old momentum buffer (0 on a torch-style first step). */
  readonly bufferMomentum: Float64Array;
  /** Multiplies the direction into the buffer. */
  readonly bufferGain: Float64Array;
  /** Multiplies the new buffer in the update. */
  readonly fromBuffer: Float64Array;
  /** Multiplies the direction in the update (Nesterov, or momentum 0). */
  readonly fromDirection: Float64Array;
  /** Multiplies the update as it is subtracted (lr in torch style, update-norm clip). */
  readonly stepScale: Float64Array;
}

/**
 * Allocates coefficients for `layers` layers, all zero.
 *
 * @category Backends
 */
export function allocateCoefficients(layers: number): LayerCoefficients {
  return {
    gradScale: new Float64Array(layers),
    decay: new Float64Array(layers),
    bufferMomentum: new Float64Array(layers),
    bufferGain: new Float64Array(layers),
    fromBuffer: new Float64Array(layers),
    fromDirection: new Float64Array(layers),
    stepScale: new Float64Array(layers),
  };
}

/**
 * Whether layer l's update is plain momentum: fromBuffer 1 and fromDirection 0,
 * so u = b. Backends may then skip the products 1·b and 0·d; the result
 * differs from the full formula at most in the sign of a zero.
 *
 * @category Backends
 */
export function isPlainMomentum(c: LayerCoefficients, l: number): boolean {
  return c.fromBuffer[l] === 1 && c.fromDirection[l] === 0;
}

/**
 * The same plain-momentum coefficients for every layer: d = g + decay·w,
 * b = momentum·b + d, w ← w − stepScale·b (no trust ratio, no clipping). For
 * exercising or timing a backend's kernels without an optimizer.
 *
 * @param layers - how many layers.
 * @param decay - weight decay in the direction.
 * @param momentum - the buffer's momentum.
 * @param stepScale - the step size.
 * @category Backends
 */
export function plainMomentumCoefficients(layers: number, decay: number, momentum: number, stepScale: number): LayerCoefficients {
  const c = allocateCoefficients(layers);
  c.gradScale.fill(1);
  c.decay.fill(decay);
  c.bufferMomentum.fill(momentum);
  c.bufferGain.fill(1);
  c.fromBuffer.fill(1);
  c.stepScale.fill(stepScale);
  return c;
}
