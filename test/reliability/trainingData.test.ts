import { expect } from 'chai';
import { LARSOptimizer, Matrix, MultilayerPerceptron, oneHot, TrainingDataError, type NumericType } from '../../src/index.js';
import { SeededRandom } from '../../src/util/SeededRandom.js';

// Issue 11, items 9 and 10: non-finite inputs are reported, never hidden by
// ReLU; data that does not fit the model is refused before anything changes;
// a throwing callback leaves the best parameters on the model, as abort does.

/** Three separated blobs in 4-D, one-hot targets. */
function blobs<T extends NumericType>(n: number, dtype: T, cols = 4, seed = 5): { x: Matrix<T>; y: Matrix<T> } {
  const rng = new SeededRandom(seed);
  const labels: number[] = [];
  const x = Matrix.zeros(n, cols, dtype);
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    labels.push(c);
    for (let j = 0; j < cols; j++) x.data[cols * i + j] = (j === c ? 3 : 0) + 0.5 * rng.nextNormal();
  }
  return { x, y: oneHot(labels, 3, dtype) };
}

function setUp() {
  const model = new MultilayerPerceptron({ layerSizes: [4, 8, 3], dtype: 'float32', seed: 3 });
  const opt = new LARSOptimizer(model, { backend: 'cpu', batchSize: 8, maxIterations: 6, warmupEpochs: 0, initialLearningRate: 0.5, useEarlyStopping: false });
  return { model, opt };
}

/** Runs `fn`, returns what it threw (null if nothing). */
async function thrown(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
    return null;
  } catch (e) {
    return e;
  }
}

describe('reliability: training data (issue 11, items 9 and 10)', function () {
  this.timeout(30_000);

  it('item 9: the perceptron does not turn a NaN feature into 0: its loss is NaN', () => {
    const { model } = setUp();
    const { x, y } = blobs(6, 'float32');
    x.data[5] = NaN;
    expect(model.computeLoss(x, y)).to.be.NaN;
    expect(model.computeGradients(x, y).loss).to.be.NaN;
    expect(model.evaluate(x, y).loss).to.be.NaN;
  });

  for (const set of ['xTrain', 'xValidation', 'yTrain'] as const) {
    it(`item 9: NaN or Infinity in ${set} is a TrainingDataError before training, naming the place; nothing changes`, async () => {
      const { model, opt } = setUp();
      const train = blobs(24, 'float32');
      const val = blobs(9, 'float32', 4, 6);
      const data = { xTrain: train.x, yTrain: train.y, xValidation: val.x, yValidation: val.y };
      const bad = data[set];
      bad.data[bad.cols * 2 + 1] = set === 'yTrain' ? Infinity : NaN;
      const before = Array.from(model.getParameters().data);
      const error = await thrown(() => opt.optimize(data));
      expect(error).to.be.instanceOf(TrainingDataError);
      expect(String(error)).to.match(new RegExp(`${set} holds (NaN|Infinity) at row 2, column 1`));
      expect(Array.from(model.getParameters().data)).to.deep.equal(before);
      expect(opt.iterations).to.equal(0);
      expect(opt.stepsPerEpoch).to.equal(null);
    });
  }

  it('item 10: too many feature columns is a TrainingDataError before anything changes (stepsPerEpoch included)', async () => {
    const { model, opt } = setUp();
    const wide = blobs(24, 'float32', 5);
    const before = Array.from(model.getParameters().data);
    const error = await thrown(() => opt.optimize({ xTrain: wide.x, yTrain: wide.y }));
    expect(error).to.be.instanceOf(TrainingDataError);
    expect(String(error)).to.match(/xTrain\/yTrain do not fit the model: .*4 input columns, got 5/);
    expect(opt.stepsPerEpoch).to.equal(null);
    expect(opt.iterations).to.equal(0);
    expect(Array.from(model.getParameters().data)).to.deep.equal(before);
  });

  it('item 10: float64 data for a float32 model is a TrainingDataError before anything changes', async () => {
    const { opt } = setUp();
    const train = blobs(24, 'float32');
    // As plain JavaScript would pass them: the types do not match.
    const val64 = blobs(9, 'float64') as unknown as { x: Matrix<'float32'>; y: Matrix<'float32'> };
    const error = await thrown(() => opt.optimize({ xTrain: train.x, yTrain: train.y, xValidation: val64.x, yValidation: val64.y }));
    expect(error).to.be.instanceOf(TrainingDataError);
    expect(String(error)).to.match(/xValidation\/yValidation do not fit the model: .*float32.*float64/);
    expect(opt.stepsPerEpoch).to.equal(null);
  });

  for (const hook of ['onProgress', 'onEpoch'] as const) {
    it(`item 10: if ${hook} throws, the error comes out and the model keeps the best parameters, as on abort`, async () => {
      const train = blobs(24, 'float32');
      const val = blobs(9, 'float32', 4, 6);
      const data = { xTrain: train.x, yTrain: train.y, xValidation: val.x, yValidation: val.y };
      const at = (e: { epoch: number; step?: number }) => e.epoch === 4 && (e.step ?? 1) === 1;
      // The same run, aborted at the same point: abort keeps the best parameters.
      const a = setUp();
      const controller = new AbortController();
      const aborted = await a.opt.optimize(data, { [hook]: (e: { epoch: number; step?: number }) => at(e) && controller.abort(), signal: controller.signal });
      expect(aborted.stopReason).to.equal('aborted');
      const b = setUp();
      const error = await thrown(() =>
        b.opt.optimize(data, {
          [hook]: (e: { epoch: number; step?: number }) => {
            if (at(e)) throw new Error('callback failed');
          },
        }),
      );
      expect(String(error)).to.match(/callback failed/);
      expect(Array.from(b.model.getParameters().data)).to.deep.equal(Array.from(a.model.getParameters().data));
    });
  }
});
