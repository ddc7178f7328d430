import { expect } from 'chai';
import { LARSOptimizer, LinearRegression, Matrix, MomentumSGDOptimizer, oneHot, SoftmaxRegression, TrainingDataError, Vector, type TrainingProgress } from '../../src/index.js';
import { SeededRandom } from '../../src/util/SeededRandom.js';

/** y = 2·x0 − x1 + 0.5 on n random rows. */
function linearData(n: number, seed = 1): { x: Matrix<'float64'>; y: Vector<'float64'> } {
  const rng = new SeededRandom(seed);
  const x = Matrix.zeros(n, 2, 'float64');
  const y = Vector.zeros(n, 'float64');
  for (let i = 0; i < n; i++) {
    x.data[2 * i] = rng.nextNormal();
    x.data[2 * i + 1] = rng.nextNormal();
    y.data[i] = 2 * x.data[2 * i] - x.data[2 * i + 1] + 0.5;
  }
  return { x, y };
}

/** Three well separated blobs in 2-D. */
function blobs(n: number, seed = 2): { x: Matrix<'float64'>; y: Matrix<'float64'> } {
  const rng = new SeededRandom(seed);
  const centers = [[3, 0], [-3, 0], [0, 3]];
  const labels: number[] = [];
  const x = Matrix.zeros(n, 2, 'float64');
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    labels.push(c);
    x.data[2 * i] = centers[c][0] + 0.5 * rng.nextNormal();
    x.data[2 * i + 1] = centers[c][1] + 0.5 * rng.nextNormal();
  }
  return { x, y: oneHot(labels, 3, 'float64') };
}

function sgd(options: Record<string, unknown> = {}) {
  const model = new LinearRegression({ inputs: 2, dtype: 'float64' });
  const opt = new MomentumSGDOptimizer<'float64', Matrix<'float64'>, Vector<'float64'>>(model, {
    initialLearningRate: 0.05,
    batchSize: 8,
    maxIterations: 30,
    useEarlyStopping: false,
    backend: 'cpu',
    ...options,
  });
  return { model, opt };
}

describe('optimize(): the training loop', () => {
  it('fits a linear regression and leaves the best parameters on the model', async () => {
    const { x, y } = linearData(64);
    const { model, opt } = sgd();
    const result = await opt.optimize({ xTrain: x, yTrain: y });
    expect(result.stopReason).to.equal('max-epochs');
    expect(result.epochsRun).to.equal(30);
    expect(result.history).to.have.length(30);
    expect(result.history[29].trainLoss).to.be.below(result.history[0].trainLoss / 100);
    const [w0, w1, b] = model.getParameters().toArray();
    expect(w0).to.be.closeTo(2, 0.05);
    expect(w1).to.be.closeTo(-1, 0.05);
    expect(b).to.be.closeTo(0.5, 0.05);
    expect(result.monitored).to.equal('train');
    expect(result.elapsedMilliseconds).to.be.greaterThan(0);
  });

  it('reports validation and test accuracy for a classifier, and LARS trains it', async () => {
    const train = blobs(90);
    const val = blobs(30, 3);
    const model = new SoftmaxRegression({ inputs: 2, classes: 3, dtype: 'float64', seed: 1 });
    const opt = new LARSOptimizer(model, { initialLearningRate: 5, batchSize: 30, maxIterations: 20, warmupEpochs: 2, backend: 'cpu' });
    const result = await opt.optimize({ xTrain: train.x, yTrain: train.y, xValidation: val.x, yValidation: val.y, xTest: val.x, yTest: val.y });
    const last = result.history[result.history.length - 1];
    expect(result.monitored).to.equal('validation');
    expect(last.validationAccuracy).to.be.at.least(0.95);
    expect(last.testAccuracy).to.equal(last.validationAccuracy);
    expect(result.bestValidationLoss).to.equal(Math.min(...result.history.map((e) => e.validationLoss!)));
    expect(model.evaluate(val.x, val.y).loss).to.be.closeTo(result.bestValidationLoss, 1e-12);
  });

  it('takes ceil(n/batch) steps per epoch, or floor with dropLastBatch, and tells the optimizer', async () => {
    const { x, y } = linearData(20);
    for (const [drop, expected] of [[false, 3], [true, 2]] as const) {
      const { opt } = sgd({ batchSize: 8, maxIterations: 2, dropLastBatch: drop });
      const seen: TrainingProgress[] = [];
      const batchRows: number[] = [];
      const model = opt.model!;
      const inner = model.computeGradients.bind(model);
      model.computeGradients = (bx, by) => {
        batchRows.push(bx.rows);
        return inner(bx, by);
      };
      const result = await opt.optimize({ xTrain: x, yTrain: y }, { onProgress: (p) => seen.push(p) });
      expect(opt.stepsPerEpoch).to.equal(expected);
      expect(result.steps).to.equal(2 * expected);
      expect(seen.map((p) => `${p.epoch}.${p.step}`)).to.deep.equal(
        [1, 2].flatMap((e) => Array.from({ length: expected }, (_, s) => `${e}.${s + 1}`)),
      );
      expect(batchRows).to.deep.equal(drop ? [8, 8, 8, 8] : [8, 8, 4, 8, 8, 4]);
    }
  });

  it('warms up over warmupEpochs × steps per epoch and reports each step\'s learning rate', async () => {
    const { x, y } = linearData(20);
    const { opt } = sgd({ batchSize: 8, maxIterations: 4, warmupEpochs: 2, initialLearningRate: 0.06 });
    const rates: number[] = [];
    await opt.optimize({ xTrain: x, yTrain: y }, { onProgress: (p) => rates.push(p.learningRate) });
    // 3 steps per epoch, 6 warmup steps: 0.01, 0.02, ... 0.06, then constant
    expect(rates.slice(0, 7).map((r) => +r.toFixed(10))).to.deep.equal([0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.06]);
  });

  it('shuffles from the seed: same seed same run, another seed another run, no shuffling ignores the seed', async () => {
    const { x, y } = linearData(40);
    const run = async (options: Record<string, unknown>) => {
      const { model, opt } = sgd({ maxIterations: 3, ...options });
      await opt.optimize({ xTrain: x, yTrain: y });
      return model.getParameters().toArray();
    };
    expect(await run({ seed: 7 })).to.deep.equal(await run({ seed: 7 }));
    expect(await run({ seed: 7 })).to.not.deep.equal(await run({ seed: 8 }));
    expect(await run({ seed: 7, shuffleData: false })).to.deep.equal(await run({ seed: 8, shuffleData: false }));
  });

  it('early stopping waits `patience` epochs without improvement after the last improvement', async () => {
    const { x, y } = linearData(40);
    // a tolerance no drop can beat: only epoch 1 counts as an improvement
    const { opt } = sgd({ useEarlyStopping: true, earlyStoppingPatience: 3, tolerance: 1e9, maxIterations: 50 });
    const stuck = await opt.optimize({ xTrain: x, yTrain: y });
    expect(stuck.stopReason).to.equal('early-stopping');
    expect(stuck.epochsRun).to.equal(4);
    expect(stuck.bestEpoch).to.equal(1);
    // a run that keeps improving is not cut short, even with patience 1
    const { opt: improving } = sgd({ useEarlyStopping: true, earlyStoppingPatience: 1, tolerance: 0, maxIterations: 12, initialLearningRate: 0.01, batchSize: 40, momentum: 0 });
    const full = await improving.optimize({ xTrain: x, yTrain: y });
    expect(full.stopReason).to.equal('max-epochs');
    expect(full.epochsRun).to.equal(12);
  });

  it('an AbortSignal stops between steps and keeps the best epoch', async () => {
    const { x, y } = linearData(40);
    const { model, opt } = sgd({ batchSize: 10, maxIterations: 10 });
    const controller = new AbortController();
    let afterEpoch2: number[] = [];
    const result = await opt.optimize(
      { xTrain: x, yTrain: y },
      {
        signal: controller.signal,
        onEpoch: (e) => {
          if (e.epoch === 2) afterEpoch2 = model.getParameters().toArray();
        },
        onProgress: (p) => {
          if (p.epoch === 3 && p.step === 2) controller.abort();
        },
      },
    );
    expect(result.stopReason).to.equal('aborted');
    expect(result.epochsRun).to.equal(2);
    expect(result.steps).to.equal(10);
    expect(model.getParameters().toArray()).to.deep.equal(afterEpoch2);
  });

  it('an abort from a timer lands too, because the loop yields between steps', async () => {
    const { x, y } = linearData(40);
    const { opt } = sgd({ batchSize: 1, maxIterations: 100000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    const result = await opt.optimize({ xTrain: x, yTrain: y }, { signal: controller.signal });
    expect(result.stopReason).to.equal('aborted');
    expect(result.epochsRun).to.be.lessThan(100000);
  });

  it('a diverging run stops with non-finite-loss and keeps the best finite parameters', async () => {
    const { x, y } = linearData(40);
    const { model, opt } = sgd({ initialLearningRate: 50, batchSize: 40, maxIterations: 500 });
    const result = await opt.optimize({ xTrain: x, yTrain: y });
    expect(result.stopReason).to.equal('non-finite-loss');
    expect(result.stopMessage).to.match(/diverged|NaN|Infinity/);
    expect(result.epochsRun).to.be.lessThan(500);
    expect(model.getParameters().toArray().every(Number.isFinite)).to.equal(true);
    expect(model.computeLoss(x, y)).to.be.closeTo(result.bestValidationLoss, Math.abs(result.bestValidationLoss) * 10 + 1e300);
  });

  it('the optimizer still steps by hand after optimize()', async () => {
    const { x, y } = linearData(16);
    const { model, opt } = sgd({ maxIterations: 1 });
    await opt.optimize({ xTrain: x, yTrain: y });
    const steps = opt.iterations;
    const before = model.getParameters().toArray();
    opt.step(model.getParameters(), model.computeGradients(x, y).gradient);
    expect(opt.iterations).to.equal(steps + 1);
    expect(model.getParameters().toArray()).to.not.deep.equal(before);
  });

  it('rejects bad data with a clear error and changes nothing', async () => {
    const { x, y } = linearData(10);
    const { model, opt } = sgd();
    const before = model.getParameters().toArray();
    await expectReject(opt.optimize({ xTrain: x, yTrain: Vector.zeros(9, 'float64') }), /xTrain has 10 rows but yTrain has 9/);
    await expectReject(opt.optimize({ xTrain: x, yTrain: y, xValidation: x }), /xValidation and yValidation come together/);
    const { opt: dropping } = sgd({ batchSize: 64, dropLastBatch: true });
    await expectReject(dropping.optimize({ xTrain: x, yTrain: y }), /do not fill one batch of 64/);
    expect(model.getParameters().toArray()).to.deep.equal(before);
    expect(opt.iterations).to.equal(0);
    const handStepped = new MomentumSGDOptimizer(null, { backend: 'cpu' });
    await expectReject(handStepped.optimize({ xTrain: x, yTrain: y } as never), /needs a model/);
  });
});

async function expectReject(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  try {
    await p;
  } catch (e) {
    expect(e).to.be.instanceOf(TrainingDataError);
    expect((e as Error).message).to.match(pattern);
    return;
  }
  expect.fail('expected a rejection');
}
