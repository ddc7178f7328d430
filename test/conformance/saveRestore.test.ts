import { expect } from 'chai';
import { LARS, LARS8bit, LARSOptimizer, Vector, type NumericType, type SavedOptimizerState } from '../../src/index.js';
import { type OptimizerBackend } from '../../src/core/OptimizerBackend.js';
import { decodeBase64 } from '../../src/util/base64.js';
import { normal } from '../support/random.js';
import { stateOf } from '../support/optimizerInternals.js';
import { forEachBackend, type ConformanceBackend } from './backendTable.js';
import { expectExact, expectFloat32 } from './compare.js';
import { bytesOf, gradient, MIXED_LAYOUT, ODD_LAYOUT, startWeights, type EightBitLayout, type Make } from './eightBitFixtures.js';

/** The odd layout without its 32-bit bias: 8-bit layers only, so every element is compared exactly on exact backends. */
const EIGHT_ONLY: EightBitLayout = { ...ODD_LAYOUT, layout: ODD_LAYOUT.layout.slice(0, 3), n: ODD_LAYOUT.frozen[1], bits: [8, 8, 8] };

interface SaveCase {
  readonly name: string;
  readonly layout: EightBitLayout;
  readonly make: Make;
  /** Steps before saving, then as many after. */
  readonly steps: number;
  readonly seeds: readonly [number, number];
}

const CASES: SaveCase[] = [
  { name: '8-bit layers only, percentile clipping', layout: EIGHT_ONLY, steps: 8, seeds: [21, 25],
    make: (s) => new LARS(EIGHT_ONLY.layout, { lr: 0.05, momentum: 0.9, weight_decay: 1e-4, optim_bits: 8, percentile_clipping: 90 }, {}, s) },
  { name: 'mixed 8-bit and 32-bit layers, nesterov, percentile clipping', layout: MIXED_LAYOUT, steps: 4, seeds: [51, 50],
    make: (s) => new LARS8bit(MIXED_LAYOUT.layout, { lr: 0.01, momentum: 0.9, weight_decay: 1e-4, percentile_clipping: 90, nesterov: true }, {}, s) },
];

/** Expects `a` (on the backend) and `b` (on the reference, or the same backend) to agree as the backend's tolerance says. */
function expectAgree(be: ConformanceBackend, a: LARSOptimizer, b: LARSOptimizer, wa: Vector, wb: Vector, when: string): void {
  if (be.tolerance.kind === 'exact') {
    expectExact(a, b, wa, wb, false, when);
    return;
  }
  const off = expectFloat32(be.tolerance, a, b, wa, wb, when);
  const n8 = a.layerPlan!.segments.filter((s) => s.stateBits === 8).reduce((x, s) => x + s.end - s.start, 0);
  expect(off, `${when}: codes off by one`).to.be.at.most(be.tolerance.offByOneRate * n8);
}

forEachBackend('saveState / loadState across backends', (b) => {
  for (const c of CASES) {
    if (2 * c.steps > b.maxSteps) continue;
    for (const dtype of b.dtypes) {
      it(`${c.name} (${dtype}): saved here, continues bit-identically on a fresh ${b.label}, as the JS loops on the JS loops, and back`, async function () {
        this.timeout(120_000);
        const L = c.layout;
        const rnd = normal(c.seeds[1]);
        const grads = Array.from({ length: 2 * c.steps }, (_, step) => gradient(L, dtype, rnd, 0.01 * (1 + (step % 4))));
        const start = startWeights(L, c.seeds[0]);
        const warnings: string[] = [];
        const onBackend = async (): Promise<LARSOptimizer> => c.make({ backend: await b.create(), onWarning: (m) => warnings.push(m) });
        const onReference = async (): Promise<LARSOptimizer> => c.make({ backend: await b.reference(false), onWarning: (m) => expect.fail(`reference warned: ${m}`) });
        const made: LARSOptimizer[] = [];
        const track = (o: LARSOptimizer) => (made.push(o), o);

        for (const [first, second] of [['backend', 'same'], ['backend', 'reference'], ['reference', 'backend']] as const) {
          const when = `${first} → ${second}`;
          const a = track(first === 'backend' ? await onBackend() : await onReference());
          const wa = Vector.from(start, dtype) as Vector<NumericType>;
          for (let s = 0; s < c.steps; s++) a.step(wa, grads[s]);
          const saved: SavedOptimizerState = JSON.parse(JSON.stringify(a.saveState()));
          expect(saved.momentum!.map((m) => m.bits), `${when}: saved bits`).to.deep.equal(L.bits);
          const other = track(second === 'reference' ? await onReference() : await onBackend());
          other.loadState(saved);
          expect(other.saveState(), `${when}: restored exactly`).to.deep.equal(saved);
          const wb = wa.clone();
          for (let s = c.steps; s < 2 * c.steps; s++) {
            a.step(wa, grads[s]);
            other.step(wb, grads[s]);
          }
          if (second === 'same') {
            expect(bytesOf(wb.data).equals(bytesOf(wa.data)), `${when}: parameters`).to.equal(true);
            expect(other.saveState(), `${when}: state`).to.deep.equal(a.saveState());
          } else {
            const [onB, onRef, wOnB, wOnRef] = first === 'backend' ? [a, other, wa, wb] : [other, a, wb, wa];
            expectAgree(b, onB, onRef, wOnB, wOnRef, when);
          }
        }
        expect(warnings).to.deep.equal([]);
        // Every optimizer ran where it was put: on the backend, or on the JS loops (the reference).
        for (const o of made) expect([b.name, 'cpu']).to.include(o.backendName);
        expect(made.filter((o) => o.backendName === b.name).length, 'optimizers that ran on the backend').to.be.at.least(b.isReference ? 6 : 4);
        for (const o of made) o.dispose();
      });
    }
  }
}, true);

/** The decoded snapshot of a saved state. */
function snapshotOf(saved: SavedOptimizerState) {
  return {
    dtype: saved.dtype ?? ('float32' as const),
    layers: saved.momentum!.map((m) => (m.bits === 8
      ? { bits: 8 as const, codes: decodeBase64(m.codes), absmax: new Float32Array(decodeBase64(m.absmax).buffer) }
      : { bits: 32 as const, values: new Float32Array(decodeBase64(m.values).buffer) })),
  };
}

forEachBackend('8-bit state restore refuses a snapshot that does not fit', (b) => {
  for (const L of [ODD_LAYOUT, MIXED_LAYOUT]) {
    it(`checks every layer before writing any (${L.layout.length} layers, the last one 32-bit)`, async () => {
      const backend: OptimizerBackend = await b.create();
      const opt = new LARS8bit(L.layout, { lr: 0.05, momentum: 0.9, weight_decay: 1e-4 }, {}, { backend });
      opt.step(Vector.from(startWeights(L, 70), 'float32'), gradient(L, 'float32', normal(71), 0.01));
      const snapshot = stateOf(opt).snapshot();
      const target = backend.createState(opt.layerPlan!, 'float32');
      expect(target).to.be.an.instanceOf(b.quantizedState);
      const empty = target.snapshot();
      const layers = snapshot.layers;
      const last = layers.length - 1;
      // A bad last layer must not let the earlier ones be written.
      const badLast = { ...snapshot, layers: [...layers.slice(0, last), { bits: 8 as const, codes: new Uint8Array(L.layout[last].size), absmax: new Float32Array(1) }] };
      expect(() => target.restore(badLast)).to.throw(new RegExp(`layer ${last} is 8-bit, but this optimizer keeps it 32-bit`));
      const negative = { ...snapshot, layers: layers.map((x, l) => (l === 1 && x.bits === 8 ? { ...x, absmax: x.absmax.map((a, i) => (i === 5 ? -1 : a)) } : x)) };
      expect(() => target.restore(negative)).to.throw(/layer 1 has absmax -1/);
      const short = { ...snapshot, layers: layers.map((x, l) => (l === 0 && x.bits === 8 ? { ...x, absmax: x.absmax.slice(1) } : x)) };
      expect(() => target.restore(short)).to.throw(/layer 0 has 31 absmax value\(s\), expected 32/);
      expect(() => target.restore({ ...snapshot, dtype: 'float64' })).to.throw(/float32/);
      expect(target.snapshot()).to.deep.equal(empty);
      target.restore(snapshot);
      expect(target.snapshot()).to.deep.equal(snapshot);
      // ...and the same through saveState: a decoded saved state is the snapshot.
      expect(snapshotOf(opt.saveState())).to.deep.equal(snapshot);
      target.dispose();
      opt.dispose();
    });
  }
}, true);
