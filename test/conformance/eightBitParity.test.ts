import { expect } from 'chai';
import { Vector } from '../../src/index.js';
import { SIGNED_CODE_BOOK } from '../../src/quantization/CodeBook.js';
import { type OptimizerBackend } from '../../src/core/OptimizerBackend.js';
import { normal } from '../support/random.js';
import { backendOf, stateOf } from '../support/optimizerInternals.js';
import { forEachBackend, heapOf } from './backendTable.js';
import { expectExact, expectFloat32 } from './compare.js';
import { EIGHT_BIT_CASES, gradient, layersOf, maxAbsDiff, startWeights, type EightBitCase } from './eightBitFixtures.js';
import { recordStates } from '../support/recordStates.js';

forEachBackend('8-bit state steps like the JS loops, step by step', (b) => {
  if (b.isReference) return;
  for (const c of EIGHT_BIT_CASES as EightBitCase[]) {
    if (!b.dtypes.includes(c.dtype)) continue;
    const zeroCopy = c.zeroCopy && b.zeroCopy.includes(true);
    if (c.steps > b.maxSteps) continue;
    const steps = c.steps;
    it(`${c.name} (${c.layout.n} elements, ${c.dtype}, ${zeroCopy ? 'zero-copy' : 'ordinary vectors'}, ${steps} steps)`, async function () {
      this.timeout(120_000);
      const L = c.layout;
      const backend: OptimizerBackend = await b.create();
      // Record the states the backend creates: one 8-bit state with momentum, none without.
      const states = recordStates(backend);
      const warnings: string[] = [];
      const opt = c.make(L.layout)({ backend, onWarning: (m) => warnings.push(m) });
      const ref = c.make(L.layout)({ backend: await b.reference(zeroCopy), onWarning: (m) => expect.fail(`reference warned: ${m}`) });
      const start = startWeights(L, c.seeds[0]);
      const wa = zeroCopy ? opt.allocateVector(L.n, c.dtype) : Vector.zeros(L.n, c.dtype);
      wa.data.set(start);
      const wb = Vector.from(start, c.dtype);
      if (b.zeroCopy.includes(true)) expect(heapOf(backend).addressOf(wa.data) !== null, 'a vector in backend memory').to.equal(zeroCopy);
      const rnd = normal(c.seeds[1]);
      const exactFloat = c.dtype === 'float64' && ref.options.maxUnorm === 0;
      const before = b.work(backend);
      let offByOne = 0;
      for (let step = 0; step < steps; step++) {
        const g = gradient(L, c.dtype, rnd, c.gradientScale(step));
        const ga = zeroCopy ? opt.allocateVector(L.n, c.dtype) : g.clone();
        ga.data.set(g.data);
        opt.step(wa, ga);
        ref.step(wb, g);
        if (b.tolerance.kind === 'exact') expectExact(opt, ref, wa, wb, exactFloat, `step ${step + 1}`);
        else {
          offByOne = expectFloat32(b.tolerance, opt, ref, wa, wb, `step ${step + 1}`);
          const eightBitElements = opt.layerPlan!.segments.filter((s) => s.stateBits === 8).reduce((a, s) => a + s.end - s.start, 0);
          expect(offByOne, `step ${step + 1}: codes off by one`).to.be.at.most(b.tolerance.offByOneRate * eightBitElements);
        }
        if (zeroCopy) (backendOf(opt) as unknown as { releaseVector(v: Vector): void }).releaseVector(ga);
      }
      if (b.tolerance.kind === 'float32') console.log(`      ${c.name}: ${offByOne} codes off by one after ${steps} steps`);
      // It ran on this backend's kernels: no fallback, and the state is its 8-bit state.
      expect(warnings).to.deep.equal([]);
      expect(opt.backendName).to.equal(b.name);
      expect(opt.layerPlan!.segments.map((s) => s.stateBits)).to.deep.equal(c.bits ?? L.bits);
      expect(b.work(backend) - before, 'work per step').to.be.at.least(b.minWorkPerStep * steps);
      b.expectWorked(backend, before, zeroCopy, opt.layerPlan!);
      if (ref.options.momentum === 0) {
        expect(states).to.have.length(0);
        expect(stateOf(opt)).to.equal(null);
        expect(opt.saveState().momentum).to.equal(null);
      } else {
        expect(states).to.have.length(1);
        expect(states[0]).to.be.an.instanceOf(b.quantizedState);
        expect(stateOf(opt)).to.equal(states[0]);
        const layers = layersOf(opt.saveState());
        // The zero layer went through the zero-block path: absmax 0, the zero code.
        const frozen = layers[L.frozenLayer];
        if (frozen.bits !== 8) expect.fail('frozen layer is not 8-bit');
        expect(Array.from(frozen.absmax).every((a) => a === 0)).to.equal(true);
        expect(Array.from(frozen.codes).every((k) => k === SIGNED_CODE_BOOK.zeroCode)).to.equal(true);
        // ...while the live layers' codes moved away from it.
        const live = layers[L.liveLayer];
        if (live.bits !== 8) expect.fail('the live layer is not 8-bit');
        expect(new Set(live.codes).size).to.be.greaterThan(50);
      }
      // The zero layer stayed at zero.
      expect(maxAbsDiff(wa.data, new Float64Array(L.n), L.frozen[0], L.frozen[1])).to.equal(0);
      opt.dispose();
      ref.dispose();
    });
  }
}, true);
