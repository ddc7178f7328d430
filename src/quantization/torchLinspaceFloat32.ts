const f32 = Math.fround;

/** Elements torch's CPU loop produces per vectorized chunk (two 8-lane float32 vectors). */
const CHUNK = 16;
/** Lanes of one float32 vector. */
const LANES = 8;

/**
 * `n` evenly spaced float32 values from `start` to `end` inclusive, rounded
 * exactly as PyTorch's CPU `torch.linspace` rounds them in float32: the step is
 * `(end − start) / (n − 1)`; the first half counts up from `start`, the second
 * half down from `end`; each 16-element chunk is two 8-lane vectors whose first
 * lane is computed with a fused multiply-add and whose other lanes add
 * `k·step` to it; leftover elements are computed one by one (fused).
 *
 * The dynamic map is built on this, which is why its codes match bitsandbytes'
 * table bit for bit rather than to the last ulp only.
 *
 * @param start - first value (rounded to float32).
 * @param end - last value (rounded to float32).
 * @param n - number of values, at least 2.
 *
 * @category Backends
 */
export function torchLinspaceFloat32(start: number, end: number, n: number): Float32Array {
  if (!Number.isInteger(n) || n < 2) throw new RangeError(`linspace needs at least 2 points, got ${n}`);
  const a = f32(start);
  const b = f32(end);
  const step = f32(f32(b - a) / (n - 1));
  const half = n >> 1;
  // step·k is exact in float64 for the small k used here, so one rounding to float32 models the fused multiply-add.
  const fused = (k: number): number => (k < half ? f32(a + step * k) : f32(b - step * (n - k - 1)));
  const out = new Float32Array(n);
  let k = 0;
  for (; n - k >= CHUNK; ) {
    for (let v = 0; v < CHUNK / LANES; v++, k += LANES) {
      const base = fused(k);
      out[k] = base;
      for (let lane = 1; lane < LANES; lane++) out[k + lane] = f32(base + f32(step * lane));
    }
  }
  for (; k < n; k++) out[k] = fused(k);
  return out;
}
