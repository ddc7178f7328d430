import { expect } from 'chai';
import fc from 'fast-check';
import { LARSOptimizer, OptimizerInputError, Vector, type ParameterLayout, type SavedOptimizerState } from '../../src/index.js';
import { CpuBackend } from '../../src/backends/js/CpuBackend.js';
import { createCpuBackend } from '../../src/backends/createCpuBackend.js';
import type { OptimizerBackend } from '../../src/core/OptimizerBackend.js';
import { encodeBase64 } from '../../src/util/base64.js';
import { ReferenceLars } from '../support/referenceLars.js';
import { normal } from '../support/random.js';

/**
 * Random sequences of good and bad calls on one optimizer, checked after every
 * call against a plain float64 evaluation (ReferenceLars): good steps must
 * match it within 1e-12, and every bad call (NaN or ±Infinity, a wrong length
 * or type, a corrupted or foreign saved state) must throw and change nothing:
 * not the parameters, not the saved state, not the step count.
 */

const LAYOUT: ParameterLayout = [
  { name: 'w1', size: 7, kind: 'weight' },
  { name: 'b1', size: 3, kind: 'bias' },
  { name: 'w2', size: 5, kind: 'weight' },
];
const N = 15;

type Corruption = 'nan-momentum' | 'steps-per-epoch' | 'length' | 'truncated' | 'version' | 'string' | 'momentum-off';

type Call =
  | { readonly kind: 'step'; readonly seed: number }
  | { readonly kind: 'bad-value'; readonly at: number; readonly value: number; readonly inParameters: boolean }
  | { readonly kind: 'wrong-length'; readonly delta: number }
  | { readonly kind: 'wrong-type' }
  | { readonly kind: 'save' }
  | { readonly kind: 'load' }
  | { readonly kind: 'load-corrupted'; readonly how: Corruption }
  | { readonly kind: 'reset' };

const callArb: fc.Arbitrary<Call> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('step' as const), seed: fc.integer({ min: 1, max: 1e6 }) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('bad-value' as const),
      at: fc.integer({ min: 0, max: N - 1 }),
      value: fc.constantFrom(NaN, Infinity, -Infinity),
      inParameters: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('wrong-length' as const), delta: fc.constantFrom(-1, 1, 4) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('wrong-type' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('save' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('load' as const) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('load-corrupted' as const),
      how: fc.constantFrom<Corruption>('nan-momentum', 'steps-per-epoch', 'length', 'truncated', 'version', 'string', 'momentum-off'),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reset' as const) }) },
);

const HYPER = { lr: 0.7, wd: 1e-3, eta: 0.02, eps: 1e-9, mu: 0.9, damp: 0, nesterov: false };

function corrupt(saved: SavedOptimizerState, how: Corruption): unknown {
  const nan = encodeBase64(new Float64Array(7).fill(NaN));
  switch (how) {
    case 'nan-momentum':
      return saved.momentum === null ? { ...saved, stepsPerEpoch: -1 } : { ...saved, momentum: [{ bits: 32, values: nan }, ...saved.momentum.slice(1)] };
    case 'steps-per-epoch':
      return { ...saved, stepsPerEpoch: 0.5 };
    case 'length':
      return { ...saved, length: N + 1, dtype: 'float64' };
    case 'truncated':
      return saved.momentum === null ? { ...saved, version: 0 } : { ...saved, momentum: [{ bits: 32, values: 'AAAA' }, ...saved.momentum.slice(1)] };
    case 'version':
      return { ...saved, version: 9 };
    case 'string':
      return JSON.stringify(saved);
    case 'momentum-off':
      return { ...saved, settings: { ...saved.settings!, momentum: false } };
  }
}

/** Runs one sequence; returns how many calls were refused (to show the bad calls really ran). */
function runSequence(calls: readonly Call[], backend: () => OptimizerBackend): number {
  const opt = new LARSOptimizer(
    null,
    { initialLearningRate: HYPER.lr, weightDecay: HYPER.wd, trustCoefficient: HYPER.eta, epsilon: HYPER.eps, momentum: HYPER.mu, warmupEpochs: 0, learningRateSchedule: 'constant' },
    { layout: LAYOUT, backend: backend() },
  );
  const layers = LAYOUT.map((t) => ({ size: t.size, skip: false, exclude: t.kind !== 'weight' }));
  const rnd = normal(3);
  const w = Vector.from(Array.from({ length: N }, () => rnd()), 'float64');
  let reference = new ReferenceLars(layers);
  let wRef = Array.from(w.data);
  let saved: { json: string; w: Float64Array; velocity: number[][] } | null = null;
  let refused = 0;

  const expectNothingChanged = (call: Call, attempt: () => void) => {
    const before = { w: Array.from(w.data), state: JSON.stringify(opt.saveState()), iterations: opt.iterations };
    expect(attempt, JSON.stringify(call)).to.throw(OptimizerInputError);
    expect(Array.from(w.data), 'parameters changed').to.deep.equal(before.w);
    expect(JSON.stringify(opt.saveState()), 'state changed').to.equal(before.state);
    expect(opt.iterations).to.equal(before.iterations);
    refused++;
  };

  for (const call of calls) {
    switch (call.kind) {
      case 'step': {
        const r = normal(call.seed);
        const g = Array.from({ length: N }, () => 0.1 * r());
        opt.step(w, Vector.from(g, 'float64'));
        reference.step(wRef, g, HYPER);
        break;
      }
      case 'bad-value': {
        const g = Vector.from(new Array(N).fill(0.01), 'float64');
        const p = w.clone();
        (call.inParameters ? p : g).data[call.at] = call.value;
        const target = call.inParameters ? p : w;
        const before = Array.from(target.data);
        expectNothingChanged(call, () => opt.step(target, g));
        expect(Array.from(target.data).map(String)).to.deep.equal(before.map(String));
        break;
      }
      case 'wrong-length':
        expectNothingChanged(call, () => opt.step(Vector.zeros(N + call.delta, 'float64'), Vector.zeros(N + call.delta, 'float64')));
        break;
      case 'wrong-type':
        expectNothingChanged(call, () =>
          opt.step(w, Vector.from(new Array(N).fill(0.01), 'float32') as unknown as Vector<'float64'>),
        );
        break;
      case 'save':
        saved = { json: JSON.stringify(opt.saveState()), w: Float64Array.from(w.data), velocity: reference.velocity.map((v) => [...v]) };
        break;
      case 'load':
        if (saved === null) break;
        opt.loadState(JSON.parse(saved.json));
        w.data.set(saved.w);
        wRef = Array.from(saved.w);
        reference = new ReferenceLars(layers);
        saved.velocity.forEach((v, l) => reference.velocity[l].splice(0, v.length, ...v));
        break;
      case 'load-corrupted': {
        const source = saved === null ? opt.saveState() : (JSON.parse(saved.json) as SavedOptimizerState);
        // A corruption that does not apply to this state (e.g. no momentum yet) is swapped for another bad field above.
        expectNothingChanged(call, () => opt.loadState(corrupt(source, call.how) as SavedOptimizerState));
        break;
      }
      case 'reset':
        opt.reset();
        reference = new ReferenceLars(layers);
        break;
    }
    for (let i = 0; i < N; i++) {
      expect(Math.abs(w.data[i] - wRef[i]), `element ${i} after ${JSON.stringify(call)}`).to.be.at.most(1e-12 * Math.max(1, Math.abs(wRef[i])));
    }
  }
  opt.dispose();
  return refused;
}

describe('reliability: random sequences of good and bad calls against a float64 reference', function () {
  this.timeout(120_000);
  const backends: [string, () => OptimizerBackend][] = [
    ['JS loops', () => new CpuBackend()],
    ['fastest CPU backend', () => createCpuBackend()],
  ];
  for (const [name, backend] of backends) {
    it(`loses nothing on the ${name}: 150 sequences of up to 30 calls`, () => {
      let refused = 0;
      fc.assert(
        fc.property(fc.array(callArb, { minLength: 1, maxLength: 30 }), (calls) => {
          refused += runSequence(calls, backend);
        }),
        { numRuns: 150, seed: 20261130 },
      );
      expect(refused).to.be.greaterThan(100);
    });
  }

  it('catches a lost state: a load that skipped the momentum would be detected', () => {
    // The check itself can fail: replaying a saved state without its momentum diverges from the reference.
    const opt = new LARSOptimizer(null, { momentum: 0.9, warmupEpochs: 0, learningRateSchedule: 'constant', backend: 'cpu' }, { layout: LAYOUT });
    const w = Vector.from(new Array(N).fill(0.5), 'float64');
    const g = Vector.from(new Array(N).fill(0.05), 'float64');
    opt.step(w, g);
    const saved = opt.saveState();
    const a = w.clone();
    opt.step(a, g);
    const fresh = new LARSOptimizer(null, { momentum: 0.9, warmupEpochs: 0, learningRateSchedule: 'constant', backend: 'cpu' }, { layout: LAYOUT });
    const zeroed = saved.momentum!.map((m) => (m.bits === 32 ? { bits: 32 as const, values: encodeBase64(new Float64Array(Buffer.from(m.values, 'base64').length / 8)) } : m));
    fresh.loadState({ ...saved, momentum: zeroed });
    const b = w.clone();
    fresh.step(b, g);
    expect(Array.from(b.data)).to.not.deep.equal(Array.from(a.data));
  });
});
