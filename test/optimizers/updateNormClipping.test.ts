import { expect } from 'chai';
import { LARS32bit, LARS8bit, Vector, type ParameterLayout } from '../../src/index.js';
import { normal } from '../support/random.js';

const LAYOUT: ParameterLayout = [
  { name: 'a', size: 5000, kind: 'weight' },
  { name: 'zero', size: 4100, kind: 'weight' },
];

function norm(x: ArrayLike<number>, from = 0, to = x.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s += x[i] * x[i];
  return Math.sqrt(s);
}

describe('update-norm clipping (max_unorm)', () => {
  for (const Cls of [LARS32bit, LARS8bit]) {
    it(`${Cls.name}: a clipped layer moves by exactly lr·max_unorm·‖w‖; a zero-weight layer stays frozen`, () => {
      const rnd = normal(31);
      const lr = 0.2, maxUnorm = 0.01;
      const opt = new Cls(LAYOUT, { lr, momentum: 0.9, weight_decay: 1e-3, max_unorm: maxUnorm });
      const w = Vector.from(Float64Array.from({ length: 9100 }, (_, i) => (i < 5000 ? 0.1 * rnd() : 0)), 'float64');
      for (let step = 0; step < 5; step++) {
        const g = Vector.from(Float64Array.from({ length: 9100 }, () => rnd()), 'float64');
        const before = Float64Array.from(w.data);
        opt.step(w, g);
        const delta = w.data.map((x, i) => x - before[i]);
        expect(norm(delta, 0, 5000)).to.be.closeTo(lr * maxUnorm * norm(before, 0, 5000), 1e-12);
        expect(Array.from(w.data.subarray(5000)).every((x) => x === 0)).to.equal(true);
      }
      // The frozen layer's momentum still accumulates, as in PytorchLARS.
      expect(opt.saveState().momentum).to.have.length(2);
    });

    it(`${Cls.name}: an update below the limit is untouched (same as max_unorm 0)`, () => {
      const run = (maxUnorm: number) => {
        const rnd = normal(32);
        const opt = new Cls(LAYOUT.slice(0, 1), { lr: 0.1, momentum: 0.9, max_unorm: maxUnorm });
        const w = Vector.from(Float64Array.from({ length: 5000 }, () => rnd()), 'float64');
        for (let s = 0; s < 3; s++) opt.step(w, Vector.from(Float64Array.from({ length: 5000 }, () => 1e-4 * rnd()), 'float64'));
        return Array.from(w.data);
      };
      expect(run(10)).to.deep.equal(run(0));
      expect(run(1e-6)).to.not.deep.equal(run(0));
    });
  }
});
