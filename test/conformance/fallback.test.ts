import { expect } from 'chai';
import { LARS32bit, LARS8bit, Vector, type FixedBitsKwargs } from '../../src/index.js';
import { type OptimizerBackend } from '../../src/core/OptimizerBackend.js';
import { normal } from '../support/random.js';
import { forEachBackend } from './backendTable.js';
import { bytesOf, gradient, MIXED_LAYOUT, startWeights } from './eightBitFixtures.js';

// max_unorm 0: the coefficients do not depend on the norms the failing backend computed, so the continuation is comparable bit for bit.
const KWARGS: FixedBitsKwargs = { lr: 0.01, momentum: 0.9, weight_decay: 1e-4, max_unorm: 0 };
const MAKE = {
  8: (backend: OptimizerBackend, onWarning: (m: string) => void) => new LARS8bit(MIXED_LAYOUT.layout, KWARGS, {}, { backend, onWarning }),
  32: (backend: OptimizerBackend, onWarning: (m: string) => void) => new LARS32bit(MIXED_LAYOUT.layout, KWARGS, {}, { backend, onWarning }),
} as const;

forEachBackend('a kernel failing mid-run', (b) => {
  const breakUpdate = b.breakUpdate;
  const fallsTo = b.fallsTo;
  if (breakUpdate === null || fallsTo === null) return; // the JS loops are the last stop
  for (const bits of b.ownEightBit ? ([8, 32] as const) : ([32] as const)) {
    it(`moves to the CPU with a warning, carrying the ${bits}-bit state exactly`, async () => {
      const warnings: string[] = [];
      const backend = await b.create();
      const opt = MAKE[bits](backend, (m) => warnings.push(m));
      const rnd = normal(60);
      // Vectors where the backend works on them fastest (in its memory, on its workers, where it has them).
      const place = (v: Vector): Vector => {
        if (!b.zeroCopy[0]) return v;
        const out = opt.allocateVector(v.length, 'float32');
        out.data.set(v.data);
        return out;
      };
      const w = place(Vector.from(startWeights(MIXED_LAYOUT, 61), 'float32'));
      for (let s = 0; s < 3; s++) opt.step(w, place(gradient(MIXED_LAYOUT, 'float32', rnd, 0.01)));
      expect(opt.backendName).to.equal(b.name);
      const committed = opt.saveState();
      const wBefore = Vector.from(w.data, 'float32');
      breakUpdate(backend, bits);
      const g = gradient(MIXED_LAYOUT, 'float32', rnd, 0.01);
      opt.step(w, place(g));
      expect(warnings).to.have.length(1);
      expect(warnings[0]).to.match(new RegExp(`${b.name} failed \\(forced failure\\); continuing on the CPU`));
      const landing = fallsTo();
      expect(opt.backendName).to.equal(landing.name);
      // The CPU continued from the last committed state: the same as a CPU optimizer loaded with it.
      const cpu = MAKE[bits](landing, (m) => expect.fail(`landing warned: ${m}`));
      cpu.loadState(committed);
      cpu.step(wBefore, g);
      expect(bytesOf(w.data).equals(bytesOf(wBefore.data)), 'parameters').to.equal(true);
      expect(opt.saveState()).to.deep.equal(cpu.saveState());
      expect(opt.saveState().momentum!.map((m) => m.bits)).to.deep.equal(bits === 8 ? MIXED_LAYOUT.bits : [32, 32, 32, 32, 32]);
      opt.dispose();
      cpu.dispose();
    });
  }
});
