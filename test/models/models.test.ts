import { expect } from 'chai';
import { LinearRegression, Matrix, MultilayerPerceptron, oneHot, SoftmaxRegression, Vector } from '../../src/index.js';
import { BLOCK_ROWS, matmulBias, matmulTransposeLeft, matmulTransposeRight } from '../../src/models/denseKernels.js';
import { SeededRandom } from '../../src/util/SeededRandom.js';

function naive(a: Float64Array, b: Float64Array, n: number, k: number, m: number): Float64Array {
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) for (let p = 0; p < k; p++) out[i * m + j] += a[i * k + p] * b[p * m + j];
  return out;
}

function random(len: number, seed: number, zeros = 0.3): Float64Array {
  const rng = new SeededRandom(seed);
  return Float64Array.from({ length: len }, () => (rng.next() < zeros ? 0 : rng.nextNormal()));
}

describe('dense kernels', () => {
  const n = 7;
  const k = BLOCK_ROWS + 13; // crosses a block edge
  const m = 5;
  const a = random(n * k, 1);
  const b = random(k * m, 2);

  it('matmulBias matches the naive product plus bias', () => {
    const bias = random(m, 3, 0);
    const out = new Float64Array(n * m).fill(99);
    matmulBias(out, a, b, bias, n, k, m);
    const ref = naive(a, b, n, k, m);
    for (let i = 0; i < n * m; i++) expect(out[i]).to.be.closeTo(ref[i] + bias[i % m], 1e-12);
  });

  it('matmulTransposeLeft computes aᵀ·d', () => {
    const d = random(n * m, 4, 0);
    const out = new Float64Array(k * m).fill(7);
    matmulTransposeLeft(out, a, d, n, k, m);
    const at = new Float64Array(k * n);
    for (let i = 0; i < n; i++) for (let p = 0; p < k; p++) at[p * n + i] = a[i * k + p];
    const ref = naive(at, d, k, n, m);
    for (let i = 0; i < k * m; i++) expect(out[i]).to.be.closeTo(ref[i], 1e-12);
  });

  it('matmulTransposeRight computes d·bᵀ', () => {
    const d = random(n * m, 5, 0);
    const out = new Float64Array(n * k);
    matmulTransposeRight(out, d, b, n, k, m);
    const bt = new Float64Array(m * k);
    for (let p = 0; p < k; p++) for (let j = 0; j < m; j++) bt[j * k + p] = b[p * m + j];
    const ref = naive(d, bt, n, m, k);
    for (let i = 0; i < n * k; i++) expect(out[i]).to.be.closeTo(ref[i], 1e-12);
  });
});

describe('MultilayerPerceptron', () => {
  it('publishes its layout with norm tensors and sizes that add up', () => {
    const mlp = new MultilayerPerceptron({ layerSizes: [6, 4, 3], dtype: 'float32', layerNorm: true });
    expect(mlp.parameterLayout().map((t) => [t.name, t.size, t.kind])).to.deep.equal([
      ['dense0.weight', 24, 'weight'],
      ['dense0.bias', 4, 'bias'],
      ['norm0.gain', 4, 'norm'],
      ['norm0.shift', 4, 'norm'],
      ['dense1.weight', 12, 'weight'],
      ['dense1.bias', 3, 'bias'],
    ]);
    expect(mlp.parameterCount).to.equal(51);
    expect(mlp.getParameters().length).to.equal(51);
  });

  it('initializes deterministically from the seed', () => {
    const a = new MultilayerPerceptron({ layerSizes: [6, 4, 3], dtype: 'float64', seed: 5 });
    const b = new MultilayerPerceptron({ layerSizes: [6, 4, 3], dtype: 'float64', seed: 5 });
    const c = new MultilayerPerceptron({ layerSizes: [6, 4, 3], dtype: 'float64', seed: 6 });
    expect(a.getParameters().toArray()).to.deep.equal(b.getParameters().toArray());
    expect(a.getParameters().toArray()).to.not.deep.equal(c.getParameters().toArray());
  });

  it('keeps parameters in one live vector: writing to it changes predictions', () => {
    const mlp = new MultilayerPerceptron({ layerSizes: [2, 3, 2], dtype: 'float64', seed: 1 });
    const x = Matrix.fromRows([[1, 2]], 'float64');
    const before = mlp.predict(x).data.slice();
    mlp.getParameters().data.fill(0);
    const after = mlp.predict(x).data;
    expect(Array.from(after)).to.deep.equal([0.5, 0.5]);
    expect(Array.from(before)).to.not.deep.equal([0.5, 0.5]);
  });

  it('predicts probabilities whose rows sum to 1, and evaluate agrees with computeLoss', () => {
    const mlp = new MultilayerPerceptron({ layerSizes: [3, 5, 4], dtype: 'float64', seed: 2, layerNorm: true });
    const x = Matrix.fromRows([[1, 0, -1], [0.5, 2, 0], [0, 0, 0]], 'float64');
    const p = mlp.predict(x);
    for (let i = 0; i < 3; i++) expect(p.data[i * 4] + p.data[i * 4 + 1] + p.data[i * 4 + 2] + p.data[i * 4 + 3]).to.be.closeTo(1, 1e-12);
    const y = oneHot([0, 3, 1], 4, 'float64');
    expect(mlp.evaluate(x, y).loss).to.be.closeTo(mlp.computeLoss(x, y), 1e-12);
    expect(mlp.computeGradients(x, y).loss).to.be.closeTo(mlp.computeLoss(x, y), 1e-12);
  });

  it('deepCopy is independent', () => {
    const mlp = new MultilayerPerceptron({ layerSizes: [2, 3, 2], dtype: 'float32', seed: 1 });
    const copy = mlp.deepCopy();
    copy.getParameters().data[0] += 1;
    expect(copy.getParameters().data[0]).to.not.equal(mlp.getParameters().data[0]);
  });

  it('rejects a wrong input width, wrong targets and bad parameters without changing state', () => {
    const mlp = new MultilayerPerceptron({ layerSizes: [2, 3, 2], dtype: 'float64', seed: 1 });
    const before = mlp.getParameters().toArray();
    expect(() => mlp.predict(Matrix.zeros(1, 3, 'float64'))).to.throw(RangeError, /2 input columns, got 3/);
    expect(() => mlp.computeGradients(Matrix.zeros(2, 2, 'float64'), Matrix.zeros(3, 2, 'float64'))).to.throw(/targets of 2 × 2/);
    expect(() => mlp.setParameters(Vector.zeros(4, 'float64'))).to.throw(RangeError, /has 17 parameters/);
    expect(() => new MultilayerPerceptron({ layerSizes: [2], dtype: 'float64' })).to.throw(/at least two/);
    expect(mlp.getParameters().toArray()).to.deep.equal(before);
  });

  it('SoftmaxRegression is one dense layer and copies as itself', () => {
    const s = new SoftmaxRegression({ inputs: 4, classes: 3, dtype: 'float32' });
    expect(s.parameterLayout().map((t) => t.name)).to.deep.equal(['dense0.weight', 'dense0.bias']);
    expect(s.deepCopy()).to.be.instanceOf(SoftmaxRegression);
  });
});

describe('LinearRegression', () => {
  it('predicts X·w + b and reports MSE', () => {
    const model = new LinearRegression({ inputs: 2, dtype: 'float64' });
    model.setParameters(Vector.from([2, -1, 0.5], 'float64'));
    const x = Matrix.fromRows([[1, 1], [3, 0]], 'float64');
    expect(model.predict(x).toArray()).to.deep.equal([1.5, 6.5]);
    expect(model.computeLoss(x, Vector.from([1.5, 4.5], 'float64'))).to.equal(2);
    expect(model.parameterLayout().map((t) => t.kind)).to.deep.equal(['weight', 'bias']);
  });
});
