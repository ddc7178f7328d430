import { expect } from 'chai';
import { MomentumSGDOptimizer, Vector } from '../../src/index.js';

describe('MomentumSGDOptimizer', () => {
  it('steps like torch SGD: ratio 1 and weight decay on every tensor, buffer seeded with the first direction', () => {
    const layout = [
      { name: 'w', size: 2, kind: 'weight' as const },
      { name: 'b', size: 1, kind: 'bias' as const },
    ];
    const lr = 0.1;
    const mu = 0.9;
    const wd = 0.01;
    const opt = new MomentumSGDOptimizer<'float64'>(null, { initialLearningRate: lr, momentum: mu, weightDecay: wd, backend: 'cpu' }, { layout });
    const w = Vector.from([1, -2, 3], 'float64');
    const grads = [[0.5, 0.25, -1], [0.1, -0.3, 0.2]];
    const ref = [1, -2, 3];
    const buf = [0, 0, 0];
    grads.forEach((g, step) => {
      opt.step(w, Vector.from(g, 'float64'));
      for (let i = 0; i < 3; i++) {
        const d = g[i] + wd * ref[i];
        buf[i] = step === 0 ? d : mu * buf[i] + d;
        ref[i] -= lr * buf[i];
      }
      for (let i = 0; i < 3; i++) expect(w.data[i]).to.be.closeTo(ref[i], 1e-14);
    });
  });
});
