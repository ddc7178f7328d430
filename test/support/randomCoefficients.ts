import { allocateCoefficients, type LayerCoefficients } from '../../src/core/LayerCoefficients.js';

/**
 * Coefficients with every term in play (clip scale, decay, momentum, gain,
 * Nesterov-style mixing, step), drawn per layer from `r` (7 values per layer,
 * e.g. standard normal): for kernel parity tests.
 */
export function randomCoefficients(layers: number, r: ArrayLike<number>): LayerCoefficients {
  const c = allocateCoefficients(layers);
  for (let l = 0; l < layers; l++) {
    c.gradScale[l] = 0.5 + Math.abs(r[7 * l]);
    c.decay[l] = 1e-3 * Math.abs(r[7 * l + 1]);
    c.bufferMomentum[l] = 0.9 * Math.abs(r[7 * l + 2]);
    c.bufferGain[l] = 1 - 0.5 * Math.abs(r[7 * l + 3]);
    c.fromBuffer[l] = Math.abs(r[7 * l + 4]);
    c.fromDirection[l] = Math.abs(r[7 * l + 5]);
    c.stepScale[l] = 0.01 * Math.abs(r[7 * l + 6]);
  }
  return c;
}
