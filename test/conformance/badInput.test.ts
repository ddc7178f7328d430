import { expect } from 'chai';
import { LARS8bit, LARSOptimizer, OptimizerInputError, presets, Vector, type ParameterLayout } from '../../src/index.js';
import { type OptimizerBackend } from '../../src/core/OptimizerBackend.js';
import { fillRandom, normal } from '../support/random.js';
import { backendOf } from '../support/optimizerInternals.js';
import { forEachBackend } from './backendTable.js';
import { bytesOf, gradient, maxAbsDiff, ODD_LAYOUT, startWeights } from './eightBitFixtures.js';

/** A weight of one element, two more, a bias excluded from LARS: the timm rule with 32-bit state. */
const SMALL_LAYOUT: ParameterLayout = [
  { name: 'a', size: 1, kind: 'weight' },
  { name: 'b', size: 300, kind: 'weight' },
  { name: 'c', size: 5000, kind: 'weight' },
  { name: 'c.bias', size: 7, kind: 'bias' },
];

interface StateCase {
  readonly name: string;
  readonly n: number;
  readonly make: (backend: OptimizerBackend, warnings: string[]) => LARSOptimizer;
  readonly weights: () => number[];
  readonly gradient: (step: number) => Vector;
}

const N_SMALL = SMALL_LAYOUT.reduce((a, t) => a + t.size, 0);
const smallVector = (seed: number, scale: number) => {
  const v = new Float32Array(N_SMALL);
  fillRandom(v, seed, scale);
  return Array.from(v);
};

const STATES: StateCase[] = [
  { name: '32-bit state (timm rule)', n: N_SMALL,
    make: (backend, warnings) => new LARSOptimizer(null, presets.timm({ lr: 0.1, momentum: 0.9, weight_decay: 1e-4 }), { backend, layout: SMALL_LAYOUT, onWarning: (m) => warnings.push(m) }),
    weights: () => smallVector(2, 1), gradient: (step) => Vector.from(smallVector(3 + step, 0.01), 'float32') },
  { name: '8-bit state', n: ODD_LAYOUT.n,
    make: (backend, warnings) => new LARS8bit(ODD_LAYOUT.layout, { lr: 0.05, momentum: 0.9, weight_decay: 1e-4 }, {}, { backend, onWarning: (m) => warnings.push(m) }),
    weights: () => startWeights(ODD_LAYOUT, 21), gradient: (() => { const rnd = normal(26); return () => gradient(ODD_LAYOUT, 'float32', rnd, 0.01); })() },
];

const SPOILS: [string, (w: Vector, g: Vector) => [Vector, Vector], string][] = [
  ['a NaN gradient', (w, g) => { g.data[4000] = NaN; return [w, g]; }, 'non-finite-gradient'],
  ['an infinite parameter', (w, g) => { w.data[0] = Infinity; return [w, g]; }, 'non-finite-parameters'],
  ['a length mismatch', (w, g) => [w, Vector.from(g.data.subarray(0, g.length - 1), 'float32')], 'length-mismatch'],
];

forEachBackend('bad input: the error code the JS loops give, nothing changes, no fallback', (b) => {
  for (const s of STATES) {
    if (s.name.startsWith('8-bit') && !b.ownEightBit) continue;
    for (const zeroCopy of b.zeroCopy) {
      // One optimizer takes every spoiled step in turn: each must leave it exactly as it was.
      it(`${s.name} (${zeroCopy ? 'zero-copy' : 'ordinary vectors'}): ${SPOILS.map(([what]) => what).join(', ')}`, async () => {
        const warnings: string[] = [];
        const opt = s.make(await b.create(), warnings);
        const place = (v: Vector): Vector => {
          if (!zeroCopy) return v;
          const out = opt.allocateVector(v.length, 'float32');
          out.data.set(v.data);
          return out;
        };
        const w = place(Vector.from(s.weights(), 'float32'));
        for (let step = 0; step < 3; step++) opt.step(w, place(s.gradient(step)));
        for (const [what, spoil, code] of SPOILS) {
          const stateBefore = opt.saveState();
          const clean = Float32Array.from(w.data);
          const [w2, g2] = spoil(w, s.gradient(3));
          const gPlaced = place(g2);
          const paramsBefore = Float32Array.from(w2.data);
          let caught: unknown = null;
          try {
            opt.step(w2, gPlaced);
          } catch (e) {
            caught = e;
          }
          expect(caught, what).to.be.instanceOf(OptimizerInputError);
          expect((caught as OptimizerInputError).code, what).to.equal(code);
          expect(bytesOf(w2.data as Float32Array).equals(bytesOf(paramsBefore)), `${what}: parameters untouched`).to.equal(true);
          expect(opt.saveState(), what).to.deep.equal(stateBefore);
          expect(warnings, what).to.deep.equal([]);
          expect(opt.backendName, what).to.equal(b.name);
          w.data.set(clean); // undo the spoiled parameter for the next case
        }
        opt.dispose();
      });
    }
  }

  it('gradients whose float32 squares overflow are accepted as by the JS loops (norms in float64)', async () => {
    const zeroCopy = b.zeroCopy[0];
    const results = [await b.create(), await b.reference(zeroCopy)].map((backend, i) => {
      const warnings: string[] = [];
      const opt = STATES[0].make(backend, warnings);
      // The backend's vectors where it places them (on its workers, for threads); ordinary ones for the reference.
      const vector = (values: ArrayLike<number>): Vector => {
        const v = i === 0 && zeroCopy ? opt.allocateVector(values.length, 'float32') : Vector.zeros(values.length, 'float32');
        v.data.set(values);
        return v;
      };
      const w = vector(STATES[0].weights());
      const g = vector(STATES[0].gradient(1).data);
      g.data[10] = 3e19; // (3e19)² = 9e38 overflows float32, not float64
      opt.step(w, g);
      expect(warnings).to.deep.equal([]);
      expect(backendOf(opt)).to.equal(backend);
      opt.dispose();
      return w.data;
    });
    if (b.tolerance.kind === 'exact') expect(maxAbsDiff(results[0], results[1])).to.be.at.most(b.tolerance.float32StepAbs);
    else for (let i = 0; i < N_SMALL; i++) expect(results[0][i]).to.be.closeTo(results[1][i], b.tolerance.elementRel * Math.max(1, Math.abs(results[1][i])));
  });
});
