import { expect } from 'chai';
import { SeededRandom } from '../../src/util/SeededRandom.js';
import { wasmMatmulBias, wasmMatmulTransposeLeft, wasmMatmulTransposeRight } from '../../src/models/wasm/wasmDenseKernels.js';
import { matmulBias, matmulTransposeLeft, matmulTransposeRight, type FloatArray } from '../../src/models/denseKernels.js';

// Each WebAssembly product is checked against a plain float64 evaluation of
// the same formula. Tolerance: a sum of k products in precision u (2^-24 for
// float32, 2^-53 for float64), in any order, is within (k + 2)·u·Σ|a||b| of the
// exact sum (the classic bound for recursive summation, plus the rounding of
// the inputs' products and the bias); the reference itself is float64.

type Dtype = 'float32' | 'float64';
const unit = (dtype: Dtype): number => (dtype === 'float32' ? 2 ** -24 : 2 ** -53);

function random(dtype: Dtype, length: number, rng: SeededRandom, zeros: number): FloatArray {
  const out = dtype === 'float32' ? new Float32Array(length) : new Float64Array(length);
  for (let i = 0; i < length; i++) out[i] = rng.next() < zeros ? 0 : rng.nextNormal();
  return out;
}

/** Element (i, j) of a row-major matrix with `cols` columns, read transposed when asked. */
const at = (x: FloatArray, cols: number, i: number, j: number): number => x[i * cols + j];

/** Checks out[n×m] against Σ_q left(i, q)·right(q, j) (+ bias) in float64, with the bound above. */
function expectProduct(dtype: Dtype, out: FloatArray, n: number, inner: number, m: number,
  left: (i: number, q: number) => number, right: (q: number, j: number) => number, bias: FloatArray | null): void {
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      let sum = bias === null ? 0 : bias[j];
      let magnitude = Math.abs(sum);
      for (let q = 0; q < inner; q++) {
        sum += left(i, q) * right(q, j);
        magnitude += Math.abs(left(i, q) * right(q, j));
      }
      const bound = (inner + 2) * unit(dtype) * magnitude;
      expect(Math.abs(out[i * m + j] - sum), `(${i}, ${j}) of ${n}×${inner}×${m} ${dtype}`).to.be.at.most(bound);
    }
  }
}

// Ragged sizes: below, at and past one panel (32 float32 / 16 float64 columns) and not multiples of a vector.
const SHAPES: [number, number, number][] = [
  [1, 1, 1], [3, 5, 3], [2, 7, 10], [5, 33, 31], [4, 17, 32], [3, 9, 33], [6, 4, 45], [2, 13, 70], [7, 3, 16], [3, 8, 17],
];

describe('WebAssembly SIMD dense kernels match a float64 evaluation', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    for (const skipZeros of [true, false]) {
      it(`${dtype}, ${skipZeros ? 'skipping' : 'keeping'} zero inputs: a·b + bias, aᵀ·d, d·bᵀ over ragged shapes`, () => {
        const rng = new SeededRandom(dtype === 'float32' ? 11 : 12);
        for (const [n, k, m] of SHAPES) {
          const a = random(dtype, n * k, rng, 0.5);
          const b = random(dtype, k * m, rng, 0);
          const bias = random(dtype, m, rng, 0);
          const d = random(dtype, n * m, rng, 0.3);
          const out1 = random(dtype, n * m, rng, 0);
          wasmMatmulBias(out1, a, b, bias, n, k, m, skipZeros);
          expectProduct(dtype, out1, n, k, m, (i, q) => at(a, k, i, q), (q, j) => at(b, m, q, j), bias);
          const out2 = random(dtype, k * m, rng, 0);
          wasmMatmulTransposeLeft(out2, a, d, n, k, m, skipZeros);
          expectProduct(dtype, out2, k, n, m, (p, i) => at(a, k, i, p), (i, j) => at(d, m, i, j), null);
          const out3 = random(dtype, n * k, rng, 0);
          wasmMatmulTransposeRight(out3, d, b, n, k, m, skipZeros);
          expectProduct(dtype, out3, n, m, k, (i, j) => at(d, m, i, j), (j, p) => at(b, m, p, j), null);
        }
      });
    }
  }

  it('agrees with the JS loops within the same bound on an MNIST-sized layer (784 → 40, 80% zero inputs)', () => {
    const rng = new SeededRandom(5);
    const [n, k, m] = [9, 784, 40];
    const a = random('float32', n * k, rng, 0.8);
    const b = random('float32', k * m, rng, 0);
    const bias = random('float32', m, rng, 0);
    const wasm = new Float32Array(n * m);
    const js = new Float32Array(n * m);
    wasmMatmulBias(wasm, a, b, bias, n, k, m);
    matmulBias(js, a, b, bias, n, k, m);
    // both are within (k+2)·u·Σ|a||b| of the exact value, so within twice that of each other
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < m; j++) {
        let magnitude = Math.abs(bias[j]);
        for (let q = 0; q < k; q++) magnitude += Math.abs(a[i * k + q] * b[q * m + j]);
        expect(Math.abs(wasm[i * m + j] - js[i * m + j])).to.be.at.most(2 * (k + 2) * 2 ** -24 * magnitude);
      }
    }
    const d = random('float32', n * m, rng, 0);
    const gw = new Float32Array(k * m);
    const gj = new Float32Array(k * m);
    wasmMatmulTransposeLeft(gw, a, d, n, k, m);
    matmulTransposeLeft(gj, a, d, n, k, m);
    for (let e = 0; e < k * m; e++) expect(Math.abs(gw[e] - gj[e])).to.be.at.most(1e-5 * (1 + Math.abs(gj[e])));
    const bw = new Float32Array(n * k);
    const bj = new Float32Array(n * k);
    wasmMatmulTransposeRight(bw, d, b, n, k, m);
    matmulTransposeRight(bj, d, b, n, k, m);
    for (let e = 0; e < n * k; e++) expect(Math.abs(bw[e] - bj[e])).to.be.at.most(1e-5 * (1 + Math.abs(bj[e])));
  });

  it('propagates NaN from a kept entry and leaves an exact zero out only when skipping', () => {
    const a = new Float64Array([0, Number.NaN]);
    const b = new Float64Array([Infinity, 1]);
    const out = new Float64Array(1);
    wasmMatmulBias(out, new Float64Array([0, 2]), b, null, 1, 2, 1, true);
    expect(out[0]).to.equal(2); // 0·∞ never formed, as in the JS loops
    wasmMatmulBias(out, new Float64Array([0, 2]), b, null, 1, 2, 1, false);
    expect(out[0]).to.be.NaN; // 0·∞ = NaN when zeros are kept
    wasmMatmulBias(out, a, new Float64Array([1, 1]), null, 1, 2, 1, true);
    expect(out[0]).to.be.NaN;
  });
});
