import { expect } from 'chai';
import { EarlyStopping } from '../../src/index.js';

/** Feeds losses until the tracker says stop; returns the epoch it stopped at, or null. */
function stopEpoch(losses: number[], patience: number, tolerance = 0): number | null {
  const es = new EarlyStopping(patience, tolerance);
  for (let e = 1; e <= losses.length; e++) {
    es.record(e, losses[e - 1]);
    if (es.shouldStop) return e;
  }
  return null;
}

describe('EarlyStopping', () => {
  it('never stops while the loss keeps improving, even with patience 1', () => {
    expect(stopEpoch([5, 4, 3, 2, 1, 0.5, 0.2], 1)).to.equal(null);
  });

  it('stops after exactly `patience` epochs without improvement, not after `patience` epochs in total', () => {
    // improves for 6 epochs, then flat: patience 3 stops at epoch 9
    expect(stopEpoch([9, 8, 7, 6, 5, 4, 4, 4, 4, 4, 4], 3)).to.equal(9);
  });

  it('an improvement resets the count', () => {
    expect(stopEpoch([5, 6, 6, 4, 6, 6, 6], 3)).to.equal(7);
  });

  it('drops no larger than the tolerance do not count as improvement', () => {
    expect(stopEpoch([1, 0.99, 0.98, 0.97], 2, 0.05)).to.equal(3);
  });

  it('remembers the best epoch and loss', () => {
    const es = new EarlyStopping(2, 0);
    [3, 1, 2].forEach((l, i) => es.record(i + 1, l));
    expect([es.best, es.bestEpoch, es.epochsWithoutImprovement]).to.deep.equal([1, 2, 1]);
  });

  it('rejects a patience below 1', () => {
    expect(() => new EarlyStopping(0, 0)).to.throw(RangeError, /patience/);
  });
});
