import type { FloatArray } from './denseKernels.js';

/**
 * Turns logits[n×c] into probabilities in place (a numerically stable softmax
 * per row) and returns the mean cross-entropy against the one-hot or soft
 * targets[n×c]. When `gradient` is given it receives d(mean loss)/d(logits) =
 * (p − y)/n.
 *
 * @category Models
 */
export function softmaxCrossEntropy(
  logits: FloatArray,
  targets: FloatArray,
  n: number,
  c: number,
  gradient: FloatArray | null = null,
): number {
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const r = i * c;
    let max = -Infinity;
    for (let j = 0; j < c; j++) if (logits[r + j] > max) max = logits[r + j];
    let sum = 0;
    for (let j = 0; j < c; j++) sum += Math.exp(logits[r + j] - max);
    const logSum = Math.log(sum) + max;
    for (let j = 0; j < c; j++) {
      const z = logits[r + j];
      const y = targets[r + j];
      if (y !== 0) loss -= y * (z - logSum);
      logits[r + j] = Math.exp(z - logSum);
    }
  }
  if (gradient !== null) {
    const inv = 1 / n;
    for (let e = 0; e < n * c; e++) gradient[e] = (logits[e] - targets[e]) * inv;
  }
  return loss / n;
}
