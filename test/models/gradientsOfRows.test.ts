import { expect } from 'chai';
import { LARSOptimizer, Matrix, MultilayerPerceptron, oneHot, type NumericType, type ParameterLayout, type Vector } from '../../src/index.js';
import type { FullModel, GradientResult } from '../../src/models/FullModel.js';
import type { VectorAllocator } from '../../src/models/ModelStorage.js';
import { fillRandom } from '../support/random.js';

/** A data set of `n` rows with 12 inputs and 4 classes. */
function data<T extends NumericType>(n: number, dtype: T): { x: Matrix<T>; y: Matrix<T> } {
  const x = Matrix.zeros(n, 12, dtype);
  fillRandom(x.data as Float32Array | Float64Array, 3);
  // About a third of the inputs are zero, as in images, so the kernels' zero skipping takes part.
  for (let i = 0; i < x.data.length; i += 3) x.data[i] = 0;
  const labels = Array.from({ length: n }, (_, i) => (i * 7) % 4);
  return { x, y: oneHot(labels, 4, dtype) };
}

/** The perceptron as a FullModel without computeGradientsOfRows, so the training loop builds every batch. */
class BatchOnly<T extends NumericType> implements FullModel<T, Matrix<T>, Matrix<T>> {
  constructor(readonly inner: MultilayerPerceptron<T>) {}
  get parameterCount(): number {
    return this.inner.parameterCount;
  }
  getParameters(): Vector<T> {
    return this.inner.getParameters();
  }
  setParameters(p: Vector<T>): void {
    this.inner.setParameters(p);
  }
  predict(x: Matrix<T>): Matrix<T> {
    return this.inner.predict(x);
  }
  computeGradients(x: Matrix<T>, y: Matrix<T>): GradientResult<T> {
    return this.inner.computeGradients(x, y);
  }
  parameterLayout(): ParameterLayout {
    return this.inner.parameterLayout();
  }
  deepCopy(): BatchOnly<T> {
    return new BatchOnly(this.inner.deepCopy());
  }
  adoptStorage(allocate: VectorAllocator): void {
    this.inner.adoptStorage(allocate);
  }
}

describe('computeGradientsOfRows: the gradient of chosen rows without building the batch', () => {
  for (const kernels of ['wasm', 'js'] as const) {
    for (const dtype of ['float32', 'float64'] as const) {
      it(`${kernels} kernels, ${dtype}: equals computeGradients of the selected rows bit for bit (repeated and unordered rows)`, () => {
        const { x, y } = data(50, dtype);
        const model = new MultilayerPerceptron({ layerSizes: [12, 16, 4], dtype, seed: 4, kernels });
        const rows = Uint32Array.from([17, 3, 3, 49, 0, 25, 8, 31, 12, 44, 5, 21, 38]);
        const direct = model.computeGradientsOfRows(x, y, rows);
        const copy = Float64Array.from(direct.gradient.data);
        const batched = model.computeGradients(x.selectRows(rows), y.selectRows(rows));
        expect(direct.loss).to.equal(batched.loss);
        expect(Array.from(copy)).to.deep.equal(Array.from(batched.gradient.data));
      });
    }
  }

  it('rejects a row that is not an index of the input, before computing anything', () => {
    const { x, y } = data(20, 'float32');
    const model = new MultilayerPerceptron({ layerSizes: [12, 8, 4], dtype: 'float32', seed: 1 });
    const before = Array.from(model.getParameters().data);
    for (const bad of [-1, 20, 1.5, NaN]) {
      expect(() => model.computeGradientsOfRows(x, y, [0, bad, 2]), String(bad)).to.throw(RangeError, /rows\[1\]/);
    }
    expect(Array.from(model.getParameters().data)).to.deep.equal(before);
  });

  it('the training loop uses it, and trains bit for bit as it does when it builds every batch', async () => {
    const { x, y } = data(300, 'float32');
    const options = { initialLearningRate: 1, batchSize: 64, maxIterations: 3, warmupEpochs: 1 };
    const fast = new MultilayerPerceptron({ layerSizes: [12, 16, 4], dtype: 'float32', seed: 9 });
    let calls = 0;
    const original = fast.computeGradientsOfRows.bind(fast);
    fast.computeGradientsOfRows = (a, b, rows) => {
      calls++;
      return original(a, b, rows);
    };
    const slow = new BatchOnly(new MultilayerPerceptron({ layerSizes: [12, 16, 4], dtype: 'float32', seed: 9 }));
    const a = new LARSOptimizer(fast, options);
    const b = new LARSOptimizer(slow, options);
    await a.optimize({ xTrain: x, yTrain: y });
    await b.optimize({ xTrain: x, yTrain: y });
    expect(calls, 'steps through computeGradientsOfRows').to.equal(3 * Math.ceil(300 / 64));
    expect(Array.from(fast.getParameters().data)).to.deep.equal(Array.from(slow.getParameters().data));
    a.dispose();
    b.dispose();
  });
});
