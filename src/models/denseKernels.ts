/**
 * Dense matrix kernels over row-major typed arrays, written for the CPU cache:
 * the innermost loop always walks contiguous memory, the right-hand matrix is
 * visited in blocks of {@link BLOCK_ROWS} rows that stay in cache while many
 * left rows pass over them, and zero inputs (most MNIST pixels) are skipped.
 * Shapes are passed explicitly; arrays may be longer than needed.
 */

/**
 * Any typed array the kernels read or write.
 *
 * @category Models
 */
export type FloatArray = Float32Array | Float64Array;

/**
 * Rows of the right-hand matrix handled per cache block. Default 64 (64 × 128 floats = 32 KiB in float32).
 *
 * @category Models
 */
export const BLOCK_ROWS = 64;

/**
 * out[n×m] = a[n×k] · b[k×m] + bias[m] (bias broadcast over rows; pass null for none).
 * `out` is overwritten.
 *
 * @category Models
 */
export function matmulBias(out: FloatArray, a: FloatArray, b: FloatArray, bias: FloatArray | null, n: number, k: number, m: number): void {
  for (let i = 0; i < n; i++) {
    const o = i * m;
    if (bias === null) out.fill(0, o, o + m);
    else for (let j = 0; j < m; j++) out[o + j] = bias[j];
  }
  for (let p0 = 0; p0 < k; p0 += BLOCK_ROWS) {
    const p1 = Math.min(k, p0 + BLOCK_ROWS);
    for (let i = 0; i < n; i++) {
      const aRow = i * k;
      const o = i * m;
      for (let p = p0; p < p1; p++) {
        const av = a[aRow + p];
        if (av === 0) continue;
        const bRow = p * m;
        for (let j = 0; j < m; j++) out[o + j] += av * b[bRow + j];
      }
    }
  }
}

/**
 * out[k×m] = a[n×k]ᵀ · d[n×m]: the weight gradient of a dense layer
 * (a = its input, d = the gradient at its output). `out` is overwritten.
 *
 * @category Models
 */
export function matmulTransposeLeft(out: FloatArray, a: FloatArray, d: FloatArray, n: number, k: number, m: number): void {
  out.fill(0, 0, k * m);
  for (let p0 = 0; p0 < k; p0 += BLOCK_ROWS) {
    const p1 = Math.min(k, p0 + BLOCK_ROWS);
    for (let i = 0; i < n; i++) {
      const aRow = i * k;
      const dRow = i * m;
      for (let p = p0; p < p1; p++) {
        const av = a[aRow + p];
        if (av === 0) continue;
        const o = p * m;
        for (let j = 0; j < m; j++) out[o + j] += av * d[dRow + j];
      }
    }
  }
}

/**
 * out[n×k] = d[n×m] · b[k×m]ᵀ: the input gradient of a dense layer
 * (b = its weight). Each element is a dot product of two contiguous rows.
 * `out` is overwritten.
 *
 * @category Models
 */
export function matmulTransposeRight(out: FloatArray, d: FloatArray, b: FloatArray, n: number, k: number, m: number): void {
  for (let i = 0; i < n; i++) {
    const dRow = i * m;
    const o = i * k;
    for (let p = 0; p < k; p++) {
      const bRow = p * m;
      let s = 0;
      for (let j = 0; j < m; j++) s += d[dRow + j] * b[bRow + j];
      out[o + p] = s;
    }
  }
}

/**
 * out[m] = column sums of d[n×m]: the bias gradient of a dense layer. `out` is overwritten.
 *
 * @category Models
 */
export function columnSums(out: FloatArray, d: FloatArray, n: number, m: number): void {
  out.fill(0, 0, m);
  for (let i = 0; i < n; i++) {
    const r = i * m;
    for (let j = 0; j < m; j++) out[j] += d[r + j];
  }
}
