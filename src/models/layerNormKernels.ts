import type { FloatArray } from './denseKernels.js';

/**
 * Layer normalization of each row of z[n×m], written to `out`:
 * out = gain·(z − μ)/√(σ² + ε) + shift. Keeps x̂ = (z − μ)/√(σ² + ε) in
 * `normalized` and 1/√(σ² + ε) per row in `invStd` for the backward pass.
 *
 * @category Models
 */
export function layerNormForward(
  out: FloatArray,
  normalized: FloatArray,
  invStd: FloatArray,
  z: FloatArray,
  gain: FloatArray,
  shift: FloatArray,
  n: number,
  m: number,
  epsilon: number,
): void {
  for (let i = 0; i < n; i++) {
    const r = i * m;
    let mean = 0;
    for (let j = 0; j < m; j++) mean += z[r + j];
    mean /= m;
    let variance = 0;
    for (let j = 0; j < m; j++) {
      const d = z[r + j] - mean;
      variance += d * d;
    }
    const inv = 1 / Math.sqrt(variance / m + epsilon);
    invStd[i] = inv;
    for (let j = 0; j < m; j++) {
      const xh = (z[r + j] - mean) * inv;
      normalized[r + j] = xh;
      out[r + j] = gain[j] * xh + shift[j];
    }
  }
}

/**
 * The backward pass of {@link layerNormForward}: from dy[n×m] (gradient at the
 * output) writes dz[n×m] and the gain and shift gradients (overwritten).
 * `dz` may be the same array as `dy`.
 *
 * @category Models
 */
export function layerNormBackward(
  dz: FloatArray,
  dGain: FloatArray,
  dShift: FloatArray,
  dy: FloatArray,
  normalized: FloatArray,
  invStd: FloatArray,
  gain: FloatArray,
  n: number,
  m: number,
): void {
  dGain.fill(0, 0, m);
  dShift.fill(0, 0, m);
  for (let i = 0; i < n; i++) {
    const r = i * m;
    let meanD = 0;
    let meanDX = 0;
    for (let j = 0; j < m; j++) {
      const g = dy[r + j];
      const xh = normalized[r + j];
      dGain[j] += g * xh;
      dShift[j] += g;
      const dxh = g * gain[j];
      meanD += dxh;
      meanDX += dxh * xh;
    }
    meanD /= m;
    meanDX /= m;
    const inv = invStd[i];
    for (let j = 0; j < m; j++) {
      const xh = normalized[r + j];
      dz[r + j] = inv * (dy[r + j] * gain[j] - meanD - xh * meanDX);
    }
  }
}
