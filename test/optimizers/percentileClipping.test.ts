import { expect } from 'chai';
import { LARS, LARS8bit, OptimizerInputError, Vector, type ParameterLayout } from '../../src/index.js';
import { PERCENTILE_HISTORY, PercentileClipper } from '../../src/optimizers/PercentileClipper.js';
import { decodeBase64 } from '../../src/util/base64.js';
import { uniform } from '../support/random.js';

/** The clip value by the definition, computed from scratch: sqrt of the window sorted ascending at index p. */
function clipByDefinition(window: number[], p: number): number {
  return Math.sqrt([...window].sort((a, b) => a - b)[p]);
}

describe('percentile clipping', () => {
  it('first step fills all 100 slots with the current squared norm and never clips', () => {
    const c = new PercentileClipper(10, 2);
    const sq = [4, 9];
    expect(Array.from(c.scales(sq, 1))).to.deep.equal([1, 1]);
    c.commit(sq, 1);
    expect(Array.from(c.history.subarray(0, PERCENTILE_HISTORY))).to.deep.equal(new Array(PERCENTILE_HISTORY).fill(4));
    expect(Array.from(c.history.subarray(PERCENTILE_HISTORY))).to.deep.equal(new Array(PERCENTILE_HISTORY).fill(9));
  });

  it('clip = sqrt(sorted history[p]); a norm above it is scaled by clip / norm (random histories)', () => {
    const rnd = uniform(21);
    for (const p of [1, 5, 50, 95, 99]) {
      const c = new PercentileClipper(p, 1);
      const window: number[] = [];
      for (let step = 1; step <= 250; step++) {
        const sq = (rnd() * 3) ** 4;
        if (step === 1) window.push(...new Array(PERCENTILE_HISTORY).fill(sq));
        window[step % PERCENTILE_HISTORY] = sq;
        const clip = clipByDefinition(window, p);
        const expected = Math.sqrt(sq) > clip ? clip / Math.sqrt(sq) : 1;
        expect(c.scales([sq], step)[0], `p=${p} step=${step}`).to.be.closeTo(expected, 1e-15);
        c.commit([sq], step);
      }
    }
  });

  it('p = 100 never clips and keeps no history in saved state', () => {
    const c = new PercentileClipper(100, 1);
    c.commit([1], 1);
    expect(c.scales([1e6], 2)[0]).to.equal(1);
    const opt = new LARS(null, { lr: 0.1 });
    opt.step(Vector.from([1, 2], 'float64'), Vector.from([1, 1], 'float64'));
    expect(opt.saveState().percentileHistory).to.equal(null);
  });

  for (const Cls of [LARS, LARS8bit]) {
    it(`${Cls.name}: the gradient is scaled before weight decay`, () => {
      const layout: ParameterLayout = [{ name: 'w', size: 4096, kind: 'weight' }];
      const lr = 0.5, wd = 0.25, p = 50;
      const opt = new Cls(layout, { lr, weight_decay: wd, percentile_clipping: p, max_unorm: 0 });
      const w = Vector.from(Float64Array.from({ length: 4096 }, (_, i) => Math.sin(i)), 'float64');
      const g1 = Float64Array.from({ length: 4096 }, (_, i) => Math.cos(i) * 0.01);
      opt.step(w, Vector.from(g1, 'float64'));
      const before = Float64Array.from(w.data);
      const g2 = g1.map((x) => x * 7);
      opt.step(w, Vector.from(g2, 'float64'));
      const sq1 = g1.reduce((a, x) => a + x * x, 0);
      const sq2 = g2.reduce((a, x) => a + x * x, 0);
      const window = new Array(PERCENTILE_HISTORY).fill(sq1);
      window[2] = sq2;
      const scale = clipByDefinition(window, p) / Math.sqrt(sq2);
      expect(scale).to.be.lessThan(1);
      for (let i = 0; i < 4096; i += 97) {
        expect(w.data[i]).to.be.closeTo(before[i] - lr * (scale * g2[i] + wd * before[i]), 1e-15);
      }
    });
  }

  it('a failed step leaves the history untouched', () => {
    const layout: ParameterLayout = [{ name: 'w', size: 4, kind: 'weight' }];
    const make = () => new LARS(layout, { lr: 0.1, momentum: 0.9, percentile_clipping: 20 });
    const a = make();
    const b = make();
    const wa = Vector.from([1, 2, 3, 4], 'float64');
    const wb = wa.clone();
    const g = (k: number) => Vector.from([k, -k, 2 * k, 0.5], 'float64');
    for (let s = 1; s <= 3; s++) {
      a.step(wa, g(s));
      b.step(wb, g(s));
    }
    const history = a.saveState().percentileHistory;
    expect(history).to.not.equal(null);
    expect(() => a.step(wa, Vector.from([NaN, 0, 0, 0], 'float64'))).to.throw(OptimizerInputError);
    expect(() => a.step(wa, Vector.from([1e200, 1e200, 0, 0], 'float64'))).to.throw(OptimizerInputError);
    expect(a.saveState().percentileHistory).to.equal(history);
    expect(new Float64Array(decodeBase64(history!).buffer).length).to.equal(PERCENTILE_HISTORY);
    a.step(wa, g(10));
    b.step(wb, g(10));
    expect(Array.from(wa.data)).to.deep.equal(Array.from(wb.data));
    expect(a.saveState()).to.deep.equal(b.saveState());
  });
});
