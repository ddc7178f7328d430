import { expect } from 'chai';
import { LinearRegression, Matrix, MultilayerPerceptron, oneHot, SoftmaxRegression, Vector, type FullModel } from '../../src/index.js';
import { SeededRandom } from '../../src/util/SeededRandom.js';

/** Largest relative error between the model's gradient and central finite differences of its loss. */
function gradientError<I, O>(model: FullModel<'float64', I, O>, x: I, y: O): number {
  const { gradient } = model.computeGradients(x, y);
  const params = model.getParameters();
  const h = 1e-6;
  let worst = 0;
  for (let i = 0; i < params.length; i++) {
    const saved = params.data[i];
    params.data[i] = saved + h;
    const up = model.computeGradients(x, y).loss;
    params.data[i] = saved - h;
    const down = model.computeGradients(x, y).loss;
    params.data[i] = saved;
    const numeric = (up - down) / (2 * h);
    const err = Math.abs(numeric - gradient.data[i]) / Math.max(1e-6, Math.abs(numeric) + Math.abs(gradient.data[i]));
    worst = Math.max(worst, err);
  }
  return worst;
}

function randomMatrix(rows: number, cols: number, seed: number): Matrix<'float64'> {
  const rng = new SeededRandom(seed);
  const m = Matrix.zeros(rows, cols, 'float64');
  for (let i = 0; i < m.data.length; i++) m.data[i] = rng.nextNormal();
  return m;
}

function randomLabels(n: number, classes: number, seed: number): number[] {
  const rng = new SeededRandom(seed);
  return Array.from({ length: n }, () => rng.nextInt(classes));
}

describe('backprop agrees with finite differences (float64)', () => {
  it('multilayer perceptron 5-4-3-3 without layer norm', () => {
    const model = new MultilayerPerceptron({ layerSizes: [5, 4, 3, 3], dtype: 'float64', seed: 3 });
    const x = randomMatrix(6, 5, 1);
    const y = oneHot(randomLabels(6, 3, 2), 3, 'float64');
    expect(gradientError(model, x, y)).to.be.below(1e-6);
  });

  it('multilayer perceptron 5-4-6-3 with layer norm (gain and shift moved off 1 and 0)', () => {
    const model = new MultilayerPerceptron({ layerSizes: [5, 4, 6, 3], dtype: 'float64', seed: 4, layerNorm: true });
    const rng = new SeededRandom(9);
    const p = model.getParameters();
    // perturb everything, gains and shifts included, so their gradients are generic
    for (let i = 0; i < p.length; i++) p.data[i] += 0.3 * rng.nextNormal();
    const x = randomMatrix(7, 5, 5);
    const y = oneHot(randomLabels(7, 3, 6), 3, 'float64');
    expect(gradientError(model, x, y)).to.be.below(1e-6);
  });

  it('softmax regression', () => {
    const model = new SoftmaxRegression({ inputs: 4, classes: 3, dtype: 'float64', seed: 1 });
    expect(gradientError(model, randomMatrix(5, 4, 7), oneHot(randomLabels(5, 3, 8), 3, 'float64'))).to.be.below(1e-6);
  });

  it('linear regression', () => {
    const model = new LinearRegression({ inputs: 3, dtype: 'float64' });
    model.setParameters(Vector.from([0.5, -1, 2, 0.1], 'float64'));
    const y = Vector.from([1, 2, 3, 4, 5], 'float64');
    expect(gradientError(model, randomMatrix(5, 3, 11), y)).to.be.below(1e-6);
  });

  it('detects a wrong gradient (the check can fail)', () => {
    const model = new SoftmaxRegression({ inputs: 4, classes: 3, dtype: 'float64', seed: 1 });
    const honest = model.computeGradients.bind(model);
    model.computeGradients = (x, y) => {
      const r = honest(x, y);
      r.gradient.data[2] *= 1.1;
      return r;
    };
    expect(gradientError(model, randomMatrix(5, 4, 7), oneHot(randomLabels(5, 3, 8), 3, 'float64'))).to.be.above(1e-3);
  });
});
