import { add, mul, scalar, sub, type Tensor } from '@tensorflow/tfjs-core';
import { isPlainMomentum, type LayerCoefficients } from '../core/LayerCoefficients.js';

/**
 * What one layer's update produces before it is written: the new momentum buffer (or null) and the update u.
 *
 * @category TensorFlow.js
 */
export interface LayerUpdateTensors {
  /** The new momentum buffer b, or null without momentum. */
  readonly buffer: Tensor | null;
  /** The update u; the new weights are w − stepScale·u. */
  readonly update: Tensor;
}

/**
 * The {@link LayerCoefficients} formula of layer `l` as tfjs ops (call inside
 * `tidy`), on whatever backend is active:
 *
 * ```
 * d = gradScale·g + decay·w
 * b = bufferMomentum·buf + bufferGain·d
 * u = fromBuffer·b + fromDirection·d      (u = b for plain momentum)
 * ```
 *
 * Products by 1 and terms with a 0 factor are left out, as the core's loops
 * do; each op rounds to float32.
 *
 * @category TensorFlow.js
 */
export function layerUpdateTensors(c: LayerCoefficients, l: number, w: Tensor, g: Tensor, buf: Tensor | null): LayerUpdateTensors {
  let d = scaled(g, c.gradScale[l]);
  if (c.decay[l] !== 0) d = add(d, mul(w, scalar(c.decay[l])));
  if (buf === null) return { buffer: null, update: scaled(d, c.fromDirection[l]) };
  const gain = scaled(d, c.bufferGain[l]);
  const b = c.bufferMomentum[l] === 0 ? gain : add(mul(buf, scalar(c.bufferMomentum[l])), gain);
  if (isPlainMomentum(c, l)) return { buffer: b, update: b };
  const fromBuffer = scaled(b, c.fromBuffer[l]);
  return { buffer: b, update: c.fromDirection[l] === 0 ? fromBuffer : add(fromBuffer, mul(d, scalar(c.fromDirection[l]))) };
}

/**
 * The new weights w − stepScale·u (call inside `tidy`).
 *
 * @category TensorFlow.js
 */
export function steppedWeights(c: LayerCoefficients, l: number, w: Tensor, update: Tensor): Tensor {
  return sub(w, scaled(update, c.stepScale[l]));
}

function scaled(t: Tensor, factor: number): Tensor {
  return factor === 1 ? t : mul(t, scalar(factor));
}
