import { expect } from 'chai';
import { LARSOptimizer, LARSOptimizerOptions, Matrix, MultilayerPerceptron, oneHot, OptionsValidationError, Vector } from '../../src/index.js';

// Issue 11, item 14: a schedule that cannot do what the options ask is an
// options error or one onWarning with the fix; what a second optimize() does.

function handStepped(options: ConstructorParameters<typeof LARSOptimizerOptions>[0], warnings: string[]) {
  const opt = new LARSOptimizer<'float64'>(null, { backend: 'cpu', ...options }, { onWarning: (m) => warnings.push(m) });
  const w = Vector.from([1, 2, 3, 4], 'float64');
  const g = Vector.from([0.1, -0.1, 0.2, 0.3], 'float64');
  return { opt, step: () => opt.step(w, g) };
}

describe('reliability: schedules that cannot do what was asked (issue 11, item 14)', () => {
  for (const [what, options] of [
    ['warmup', { warmupEpochs: 3, learningRateSchedule: 'constant' as const }],
    ['a cosine schedule', { warmupEpochs: 0, learningRateSchedule: 'cosine' as const }],
  ] as const) {
    it(`hand-stepping with ${what} but no stepsPerEpoch warns once, naming stepsPerEpoch / setStepsPerEpoch`, () => {
      const warnings: string[] = [];
      const { opt, step } = handStepped(options, warnings);
      for (let i = 0; i < 4; i++) step();
      expect(warnings).to.have.length(1);
      expect(warnings[0]).to.match(/count epochs.*learning rate stays at initialLearningRate \(0\.3\).*stepsPerEpoch.*setStepsPerEpoch/);
      expect(opt.currentLearningRate).to.equal(0.3);
    });
  }

  it('no warning when the steps per epoch are known, or the rate is meant to be constant', () => {
    const warnings: string[] = [];
    handStepped({ warmupEpochs: 2, stepsPerEpoch: 5 }, warnings).step();
    handStepped({ warmupEpochs: 0, learningRateSchedule: 'constant' }, warnings).step();
    expect(warnings).to.deep.equal([]);
  });

  it('maxIterations below warmupEpochs is an options error naming both and the fix', () => {
    let error: unknown = null;
    try {
      new LARSOptimizerOptions({ maxIterations: 5, warmupEpochs: 10 });
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(OptionsValidationError);
    expect((error as OptionsValidationError).problems.map((p) => p.path)).to.deep.equal(['warmupEpochs']);
    expect(String(error)).to.match(/must not exceed maxIterations \(5\).*lower warmupEpochs or raise maxIterations/);
    expect(() => new LARSOptimizerOptions({ maxIterations: 5 })).to.throw(OptionsValidationError, /warmupEpochs/);
    expect(new LARSOptimizerOptions({ maxIterations: 5, warmupEpochs: 5 }).warmupEpochs).to.equal(5);
  });

  it('stepping past the end of a decaying schedule warns once with the fix (reset()); after reset() the schedule starts again', () => {
    const warnings: string[] = [];
    const { opt, step } = handStepped({ warmupEpochs: 0, learningRateSchedule: 'polynomial', maxIterations: 2, stepsPerEpoch: 2 }, warnings);
    for (let i = 0; i < 4; i++) step();
    expect(warnings).to.deep.equal([]);
    step();
    step();
    expect(warnings).to.have.length(1);
    expect(warnings[0]).to.match(/step 5 is past the end of the 'polynomial' schedule \(maxIterations 2 × 2 steps per epoch = 4 steps\).*minLearningRate \(0\).*reset\(\)/);
    opt.reset();
    expect(opt.currentLearningRate).to.equal(0.3);
    for (let i = 0; i < 5; i++) step();
    expect(warnings).to.have.length(2);
  });

  it('a second optimize() continues the schedule where the first ended, and says so once when that is past its end', async () => {
    const model = new MultilayerPerceptron({ layerSizes: [2, 4, 2], dtype: 'float64', seed: 1 });
    const x = Matrix.fromRows([[1, 0], [0, 1], [1, 1], [0, 0]], 'float64');
    const y = oneHot([0, 1, 0, 1], 2, 'float64');
    const warnings: string[] = [];
    const opt = new LARSOptimizer(model, { backend: 'cpu', batchSize: 2, maxIterations: 2, warmupEpochs: 1, useEarlyStopping: false }, { onWarning: (m) => warnings.push(m) });
    const first = await opt.optimize({ xTrain: x, yTrain: y });
    expect(first.steps).to.equal(4);
    expect(warnings).to.deep.equal([]);
    const rates: number[] = [];
    await opt.optimize({ xTrain: x, yTrain: y }, { onProgress: (p) => rates.push(p.learningRate) });
    expect(opt.iterations, 'the step count continues').to.equal(8);
    expect(rates.every((r) => r === 0)).to.equal(true);
    expect(warnings).to.have.length(1);
    expect(warnings[0]).to.match(/step 5 is past the end/);
  });
});
