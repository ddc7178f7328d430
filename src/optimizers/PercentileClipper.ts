/**
 * Gradient norms each layer remembers for percentile clipping.
 *
 * @category Rule math
 */
export const PERCENTILE_HISTORY = 100;

/**
 * Percentile clipping of each layer's gradient (bitsandbytes' percentile_clipping):
 * every layer keeps its last 100 squared gradient norms; the clip value is the
 * square root of that history, sorted ascending, at index p; a gradient whose
 * norm is above it is scaled by clip / norm before weight decay. On the first
 * step the current value fills all 100 slots.
 *
 * The history changes only through {@link PercentileClipper.commit}, so a step
 * that fails validation leaves it untouched.
 *
 * @category Rule math
 */
export class PercentileClipper {
  /** The percentile p in [1, 100]; 100 never clips. */
  readonly percentile: number;
  /** Layer-major history: slots [l·100, (l+1)·100) belong to layer l. */
  readonly history: Float64Array;
  /** Number of layers. */
  readonly layers: number;

  constructor(percentile: number, layers: number, history?: Float64Array) {
    this.percentile = percentile;
    this.layers = layers;
    this.history = history ?? new Float64Array(layers * PERCENTILE_HISTORY);
  }

  /** Whether clipping is on (p < 100). */
  get active(): boolean {
    return this.percentile < 100;
  }

  /**
   * The scale for each layer at 1-based step `step`, given each layer's
   * squared gradient norm, without changing the history.
   */
  scales(gradNormSq: ArrayLike<number>, step: number): Float64Array {
    const out = new Float64Array(this.layers).fill(1);
    if (!this.active) return out;
    const window = new Float64Array(PERCENTILE_HISTORY);
    for (let l = 0; l < this.layers; l++) {
      const current = gradNormSq[l];
      if (step === 1) window.fill(current);
      else window.set(this.history.subarray(l * PERCENTILE_HISTORY, (l + 1) * PERCENTILE_HISTORY));
      window[step % PERCENTILE_HISTORY] = current;
      window.sort();
      const clip = Math.sqrt(window[this.percentile]);
      const norm = Math.sqrt(current);
      if (norm > clip) out[l] = clip / norm;
    }
    return out;
  }

  /** Records this step's squared gradient norms (call after the step succeeded). */
  commit(gradNormSq: ArrayLike<number>, step: number): void {
    if (!this.active) return;
    for (let l = 0; l < this.layers; l++) {
      const slots = this.history.subarray(l * PERCENTILE_HISTORY, (l + 1) * PERCENTILE_HISTORY);
      if (step === 1) slots.fill(gradNormSq[l]);
      slots[step % PERCENTILE_HISTORY] = gradNormSq[l];
    }
  }
}
