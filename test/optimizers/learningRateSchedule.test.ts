import { expect } from 'chai';
import { LARSOptimizer } from '../../src/index.js';
import { learningRateAt, type ScheduleSettings } from '../../src/optimizers/learningRateSchedule.js';

const s: ScheduleSettings = {
  initialLearningRate: 2,
  minLearningRate: 0,
  schedule: 'constant',
  polynomialPower: 2,
  warmupSteps: 4,
  totalSteps: 14,
};

describe('learningRateAt', () => {
  it('warms up linearly from lr/W to lr', () => {
    expect([1, 2, 3, 4].map((k) => learningRateAt(k, s))).to.deep.equal([0.5, 1, 1.5, 2]);
  });

  it('stays constant after warmup with the constant schedule', () => {
    expect(learningRateAt(5, s)).to.equal(2);
    expect(learningRateAt(100, s)).to.equal(2);
  });

  it('decays polynomially with the given power to the floor', () => {
    const p = { ...s, schedule: 'polynomial' as const, minLearningRate: 0.1 };
    expect(learningRateAt(5, p)).to.equal(2);
    // t = 5 of T = 10: 0.1 + 1.9 * (1 - 0.5)^2
    expect(learningRateAt(10, p)).to.be.closeTo(0.1 + 1.9 * 0.25, 1e-15);
    expect(learningRateAt(10, { ...p, polynomialPower: 1 })).to.be.closeTo(0.1 + 1.9 * 0.5, 1e-15);
    expect(learningRateAt(1000, p)).to.equal(0.1);
  });

  it('follows half a cosine to the floor', () => {
    const c = { ...s, schedule: 'cosine' as const };
    expect(learningRateAt(5, c)).to.equal(2);
    expect(learningRateAt(10, c)).to.be.closeTo(1, 1e-12);
    expect(learningRateAt(15, c)).to.be.closeTo(0, 1e-12);
  });

  it('keeps the rate at lr when the total is unknown, and skips warmup of 0 steps', () => {
    expect(learningRateAt(7, { ...s, schedule: 'polynomial', totalSteps: null })).to.equal(2);
    expect(learningRateAt(1, { ...s, warmupSteps: 0 })).to.equal(2);
  });

  it('is what the optimizer uses: warmupEpochs × stepsPerEpoch, schedule over maxIterations epochs', () => {
    const opt = new LARSOptimizer(null, { initialLearningRate: 1, warmupEpochs: 2, maxIterations: 4, stepsPerEpoch: 5 });
    expect(opt.learningRateAt(5)).to.equal(0.5);
    expect(opt.learningRateAt(10)).to.equal(1);
    expect(opt.learningRateAt(15)).to.be.closeTo((1 - 4 / 10) ** 2, 1e-15);
    opt.setStepsPerEpoch(10);
    expect(opt.learningRateAt(10)).to.equal(0.5);
    const noEpochs = new LARSOptimizer(null, { initialLearningRate: 1, warmupEpochs: 2 });
    expect(noEpochs.currentLearningRate).to.equal(1);
    expect(() => noEpochs.setStepsPerEpoch(0)).to.throw(RangeError);
  });
});
