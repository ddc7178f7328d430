import { expect } from 'chai';
import { Matrix, MultilayerPerceptron, oneHot, SoftmaxRegression, type NumericType } from '../../src/index.js';
import { SeededRandom } from '../../src/util/SeededRandom.js';

// The perceptron on the WebAssembly SIMD kernels against the same perceptron on
// the JS loops. The two sum in different orders, so they agree to rounding:
// float64 within 1e-12 and float32 within 2e-5 of the largest magnitude of the
// compared quantity (sums of up to ~50 terms, each rounding by 2^-53 or 2^-24,
// through two layers and the softmax; measured differences are ~100× smaller).

function inputs<T extends NumericType>(rows: number, cols: number, dtype: T, seed: number): Matrix<T> {
  const rng = new SeededRandom(seed);
  const m = Matrix.zeros(rows, cols, dtype);
  for (let i = 0; i < m.data.length; i++) m.data[i] = rng.next() < 0.3 ? 0 : rng.nextNormal();
  return m;
}

function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, relative: number, what: string): void {
  expect(a.length).to.equal(b.length);
  let scale = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  for (let i = 0; i < b.length; i++) expect(Math.abs(a[i] - b[i]), `${what}[${i}]`).to.be.at.most(relative * scale);
}

describe('MultilayerPerceptron: WebAssembly SIMD kernels agree with the JS loops', () => {
  for (const [dtype, tolerance] of [['float64', 1e-12], ['float32', 2e-5]] as const) {
    it(`${dtype}: loss, gradient and predictions over ragged widths and changing batch sizes`, () => {
      const sizes = [37, 45, 33, 11];
      const wasm = new MultilayerPerceptron({ layerSizes: sizes, dtype, seed: 7, kernels: 'wasm' });
      const js = new MultilayerPerceptron({ layerSizes: sizes, dtype, seed: 7, kernels: 'js' });
      for (const [rows, seed] of [[13, 1], [40, 2], [5, 3]]) {
        const x = inputs(rows, sizes[0], dtype, seed);
        const y = oneHot(Array.from({ length: rows }, (_, i) => (i * 7) % 11), 11, dtype);
        const a = wasm.computeGradients(x, y);
        const b = js.computeGradients(x, y);
        expect(Math.abs(a.loss - b.loss)).to.be.at.most(tolerance * Math.abs(b.loss));
        expectClose(a.gradient.data, b.gradient.data, tolerance, `gradient (${rows} rows)`);
        expectClose(wasm.predict(x).data, js.predict(x).data, tolerance, `predictions (${rows} rows)`);
        const ea = wasm.evaluate(x, y);
        const eb = js.evaluate(x, y);
        expect(Math.abs(ea.loss - eb.loss)).to.be.at.most(tolerance * Math.abs(eb.loss));
      }
    });
  }

  it('a forward-only pass over more rows than a block (4096) matches the JS loops row for row', () => {
    const sizes = [6, 5, 3];
    const wasm = new MultilayerPerceptron({ layerSizes: sizes, dtype: 'float64', seed: 3, kernels: 'wasm' });
    const js = new MultilayerPerceptron({ layerSizes: sizes, dtype: 'float64', seed: 3, kernels: 'js' });
    const x = inputs(9001, 6, 'float64', 8);
    const y = oneHot(Array.from({ length: 9001 }, (_, i) => i % 3), 3, 'float64');
    expectClose(wasm.predict(x).data, js.predict(x).data, 1e-12, 'predictions');
    expect(Math.abs(wasm.computeLoss(x, y) - js.computeLoss(x, y))).to.be.at.most(1e-12 * js.computeLoss(x, y));
    expect(wasm.evaluate(x, y).accuracy).to.equal(js.evaluate(x, y).accuracy);
  });

  it('softmax regression (no hidden layer) and a zero-row batch run on the kernels too', () => {
    const wasm = new SoftmaxRegression({ inputs: 9, classes: 3, dtype: 'float64', seed: 2, kernels: 'wasm' });
    const js = new SoftmaxRegression({ inputs: 9, classes: 3, dtype: 'float64', seed: 2, kernels: 'js' });
    const x = inputs(6, 9, 'float64', 4);
    const y = oneHot([0, 1, 2, 0, 1, 2], 3, 'float64');
    expectClose(wasm.computeGradients(x, y).gradient.data, js.computeGradients(x, y).gradient.data, 1e-12, 'gradient');
    expect(wasm.deepCopy().kernels).to.equal('wasm');
    expect(wasm.predict(Matrix.zeros(0, 9, 'float64')).rows).to.equal(0);
  });

  it('refuses a kernel choice it cannot honour, naming it', () => {
    expect(() => new MultilayerPerceptron({ layerSizes: [3, 2], dtype: 'float32', kernels: 'gpu' as never })).to.throw(RangeError, /kernels must be/);
    expect(() => new MultilayerPerceptron({ layerSizes: [3, 4, 2], dtype: 'float32', layerNorm: true, kernels: 'wasm' })).to.throw(RangeError, /layer norm/);
    expect(new MultilayerPerceptron({ layerSizes: [3, 4, 2], dtype: 'float32', layerNorm: true }).kernels).to.equal('auto');
  });
});
