import { expect } from 'chai';
import { LARS32bit, LARSOptimizer, MomentumSGDOptimizer, MultilayerPerceptron, OptimizerInputError, Vector, oneHot, Matrix, type LARSOptimizerOptionsInput, type ParameterLayout, type SavedOptimizerState } from '../../src/index.js';
import { GpuJsBackend } from '../../src/backends/gpujs/GpuJsBackend.js';
import { CpuBackend } from '../../src/backends/js/CpuBackend.js';
import { encodeBase64 } from '../../src/util/base64.js';
import { gpuAvailability } from '../gpu/gpuContext.js';
import { backendOf } from '../support/optimizerInternals.js';

const LAYOUT: ParameterLayout = [
  { name: 'w', size: 6, kind: 'weight' },
  { name: 'b', size: 2, kind: 'bias' },
];
const plain: LARSOptimizerOptionsInput = { warmupEpochs: 0, learningRateSchedule: 'constant', backend: 'cpu' };
const w0 = () => Vector.from([0.5, -0.25, 0.75, 1, 0.1, -0.2, 0.3, 0.4], 'float32');
const g0 = () => Vector.from([0.01, 0.02, -0.03, 0.04, 0.5, -0.5, 0.2, 0.1], 'float32');
const lars = (options: LARSOptimizerOptionsInput = {}) => new LARSOptimizer(null, { ...plain, ...options }, { layout: LAYOUT });

/** An optimizer that took two steps, with its parameters and saved state. */
function stepped(options: LARSOptimizerOptionsInput = {}) {
  const opt = lars(options);
  const w = w0();
  opt.step(w, g0());
  opt.step(w, g0());
  return { opt, w, saved: opt.saveState() };
}

/** Throws unless `load` is refused with an invalid-state error matching `why`, leaving `opt`'s state as it was. */
function expectRefused(opt: LARSOptimizer, load: () => void, why: RegExp): void {
  const before = JSON.stringify(opt.saveState());
  expect(load).to.throw(OptimizerInputError, why);
  expect(JSON.stringify(opt.saveState())).to.equal(before);
}

const floats32 = (values: number[]) => encodeBase64(Float32Array.from(values));

describe('reliability: saved states, failed steps, disposal, concurrent training', () => {
  describe('1. loadState refuses states that would poison the next step', () => {
    const { saved } = stepped({ percentileClipping: 90 });
    const cases: [string, (s: SavedOptimizerState) => unknown, RegExp][] = [
      ['stepsPerEpoch as a string', (s) => ({ ...s, stepsPerEpoch: '4' }), /stepsPerEpoch/],
      ['stepsPerEpoch 0', (s) => ({ ...s, stepsPerEpoch: 0 }), /stepsPerEpoch/],
      ['stepsPerEpoch negative', (s) => ({ ...s, stepsPerEpoch: -2 }), /stepsPerEpoch/],
      ['stepsPerEpoch fractional', (s) => ({ ...s, stepsPerEpoch: 1.5 }), /stepsPerEpoch/],
      ['NaN in 32-bit momentum', (s) => ({ ...s, momentum: [{ bits: 32, values: floats32([NaN, 0, 0, 0, 0, 0]) }, s.momentum![1]] }), /NaN/],
      ['+Infinity in 32-bit momentum', (s) => ({ ...s, momentum: [s.momentum![0], { bits: 32, values: floats32([Infinity, 0]) }] }), /Infinity/],
      ['-Infinity in 32-bit momentum', (s) => ({ ...s, momentum: [s.momentum![0], { bits: 32, values: floats32([0, -Infinity]) }] }), /Infinity/],
      ['NaN in the percentile history', (s) => ({ ...s, percentileHistory: encodeBase64(new Float64Array(200).fill(NaN)) }), /percentile history/],
      ['a dtype other than float32/float64', (s) => ({ ...s, dtype: 'int8' }), /dtype/],
      ['a string instead of the object', (s) => JSON.stringify(s), /JSON\.parse/],
    ];
    for (const [name, corrupt, why] of cases) {
      it(`refuses ${name} and keeps its own state`, () => {
        const target = stepped().opt;
        expectRefused(target, () => target.loadState(corrupt(saved) as SavedOptimizerState), why);
        const w = w0();
        target.step(w, g0());
        for (const x of w.data) expect(Number.isFinite(x)).to.equal(true);
      });
    }

    it('refuses NaN in the 32-bit small layers of an 8-bit state', () => {
      const layout: ParameterLayout = [{ name: 'big', size: 4096, kind: 'weight' }, { name: 'small', size: 8, kind: 'bias' }];
      const make = () => new LARSOptimizer(null, { ...plain, optimBits: 8 }, { layout });
      const a = make();
      const w = Vector.zeros(4104, 'float32').clone();
      w.data.fill(0.5);
      const g = Vector.zeros(4104, 'float32');
      g.data.fill(0.01);
      a.step(w, g);
      const s = a.saveState();
      expect(s.momentum![1].bits).to.equal(32);
      const b = make();
      expectRefused(b as LARSOptimizer, () => b.loadState({ ...s, momentum: [s.momentum![0], { bits: 32, values: floats32(new Array(8).fill(NaN)) }] }), /NaN/);
    });

    it('reads each field once: a getter that changes after the check cannot slip through', () => {
      const target = stepped().opt;
      let reads = 0;
      const poisoned = [{ bits: 32, values: floats32(new Array(6).fill(NaN)) }, saved.momentum![1]];
      const sneaky = { ...saved };
      Object.defineProperty(sneaky, 'momentum', { get: () => (reads++ === 0 ? saved.momentum : poisoned), enumerable: true });
      target.loadState(sneaky);
      expect(reads).to.equal(1);
      const w = w0();
      target.step(w, g0());
      for (const x of w.data) expect(Number.isFinite(x)).to.equal(true);
    });

    it('refuses a dtype other than float32/float64 in a state without momentum', () => {
      const { saved: noMomentum } = stepped({ momentum: 0 });
      expect(noMomentum.momentum).to.equal(null);
      const target = lars({ momentum: 0 });
      expectRefused(target, () => target.loadState({ ...noMomentum, dtype: 'int8' as 'float32' }), /dtype/);
    });
  });

  describe('2. a state saved under other settings is refused, naming the difference', () => {
    it('a LARS32bit (torch momentum convention) state into a paper-rule LARSOptimizer', () => {
      const torch = new LARS32bit(LAYOUT, { lr: 0.1, momentum: 0.9 });
      const w = w0();
      torch.step(w, g0());
      const target = stepped().opt;
      expectRefused(target, () => target.loadState(torch.saveState()), /rule\.\w+/);
    });

    it('a state with momentum 0.9 into an optimizer with momentum 0 (the momentum would be dropped)', () => {
      const { saved } = stepped({ momentum: 0.9 });
      const target = lars({ momentum: 0 });
      expectRefused(target, () => target.loadState(saved), /momentum/);
    });

    it('a state with momentum 0 into an optimizer with momentum 0.9 (the buffer would start from zero)', () => {
      const { saved } = stepped({ momentum: 0 });
      const target = lars({ momentum: 0.9 });
      expectRefused(target, () => target.loadState(saved), /momentum/);
    });

    it('a momentum-SGD state into LARS, by its family name (not a minifiable class name)', () => {
      const sgd = new MomentumSGDOptimizer(null, { backend: 'cpu' }, { layout: LAYOUT });
      sgd.step(w0(), g0());
      const state = sgd.saveState();
      expect(state.optimizer).to.equal('momentum-sgd');
      const target = stepped().opt;
      expectRefused(target, () => target.loadState(state), /momentum-sgd/);
    });

    it('8-bit settings and another layer split are named', () => {
      const { saved } = stepped();
      const target = lars({ layerBoundaries: [4], excludeBiasFromLARS: false });
      expectRefused(target, () => target.loadState(saved), /layer 0 has 6 element\(s\) in the saved state, 4/);
      const eight = lars({ optimBits: 8 });
      expectRefused(eight, () => eight.loadState(saved), /32-bit state.*8-bit/);
    });

    it('the same settings still load and continue bit for bit', () => {
      const { opt, w, saved } = stepped({ momentum: 0.9, percentileClipping: 90 });
      const other = lars({ momentum: 0.9, percentileClipping: 90 });
      other.loadState(JSON.parse(JSON.stringify(saved)));
      const v = w.clone();
      opt.step(w, g0());
      other.step(v, g0());
      expect(Array.from(v.data)).to.deep.equal(Array.from(w.data));
    });
  });

  describe('4. after dispose() every method throws a clear error', () => {
    const uses: [string, (o: LARSOptimizer) => unknown][] = [
      ['step', (o) => o.step(w0(), g0())],
      ['updateParameters', (o) => o.updateParameters(w0(), g0())],
      ['saveState', (o) => o.saveState()],
      ['loadState', (o) => o.loadState(stepped().saved)],
      ['reset', (o) => o.reset()],
      ['allocateVector', (o) => o.allocateVector(4, 'float32')],
      ['setStepsPerEpoch', (o) => o.setStepsPerEpoch(3)],
      ['stateBytes', (o) => o.stateBytes()],
      ['backendName', (o) => o.backendName],
    ];
    for (const [name, use] of uses) {
      it(name, () => {
        const { opt } = stepped({ momentum: 0.9 });
        opt.dispose();
        opt.dispose(); // twice is fine
        expect(() => use(opt)).to.throw(OptimizerInputError, /disposed/);
      });
    }

    it('optimize() rejects too', async () => {
      const model = new MultilayerPerceptron({ layerSizes: [2, 2], dtype: 'float64', seed: 1 });
      const opt = new LARSOptimizer(model, { ...plain, maxIterations: 1 });
      opt.dispose();
      const x = Matrix.fromRows([[1, 2]], 'float64');
      let error: unknown = null;
      await opt.optimize({ xTrain: x, yTrain: oneHot([0], 2, 'float64') }).catch((e: unknown) => (error = e));
      expect(error).to.be.instanceOf(OptimizerInputError);
      expect((error as Error).message).to.match(/disposed/);
    });
  });

  describe('5. a second optimize() on one optimizer is refused while the first runs', () => {
    it('rejects the second call and lets the first finish its own epochs', async () => {
      const model = new MultilayerPerceptron({ layerSizes: [2, 3, 2], dtype: 'float64', seed: 1 });
      const opt = new LARSOptimizer(model, { ...plain, maxIterations: 4, batchSize: 2, useEarlyStopping: false });
      const x = Matrix.fromRows([[1, 2], [2, 1], [0, 1], [1, 0]], 'float64');
      const data = { xTrain: x, yTrain: oneHot([0, 1, 0, 1], 2, 'float64') };
      const first = opt.optimize(data);
      let second: unknown = null;
      await opt.optimize(data).catch((e: unknown) => (second = e));
      const result = await first;
      expect(second).to.be.instanceOf(OptimizerInputError);
      expect((second as Error).message).to.match(/already running/);
      expect(result.steps).to.equal(8);
      expect(opt.iterations).to.equal(8);
      // Once it has finished, training may start again.
      const again = await opt.optimize(data);
      expect(again.epochsRun).to.equal(4);
    });
  });

  describe('7. a failed first step leaves no trace', () => {
    it('saveState is unchanged and a good step with another length then works', () => {
      const opt = new LARSOptimizer(null, { ...plain, percentileClipping: 90 });
      const before = JSON.stringify(opt.saveState());
      const bad = Vector.from([1, 2, 3], 'float32');
      expect(() => opt.step(bad, Vector.from([NaN, 0, 0], 'float32'))).to.throw(OptimizerInputError);
      expect(JSON.stringify(opt.saveState())).to.equal(before);
      const w = Vector.from([1, 2, 3, 4, 5], 'float32');
      opt.step(w, Vector.from([0.1, 0.1, 0.1, 0.1, 0.1], 'float32'));
      expect(opt.iterations).to.equal(1);
      expect(opt.layerPlan!.length).to.equal(5);
    });

    it('a bad float64 first step on the GPU does not move the optimizer to the CPU', function () {
      const gpu = gpuAvailability();
      if (!gpu.available) this.skip();
      const warnings: string[] = [];
      const opt = new LARSOptimizer(null, { ...plain, backend: 'gpu' }, { layout: LAYOUT, onWarning: (m) => warnings.push(m) });
      expect(opt.backendName).to.equal('headlessgl');
      const w = Vector.from([1, 2, 3, 4, 5, 6, 7, 8], 'float64');
      expect(() => opt.step(w, Vector.from([NaN, 0, 0, 0, 0, 0, 0, 0], 'float64'))).to.throw(OptimizerInputError, /NaN/);
      expect(opt.backendName).to.equal('headlessgl');
      expect(backendOf(opt)).to.be.instanceOf(GpuJsBackend);
      expect(warnings).to.deep.equal([]);
      opt.dispose();
    });
  });

  describe('11. a layout with a hole is an input error, never a backend failure', () => {
    it('throws invalid-layout and stays on its backend', () => {
      const warnings: string[] = [];
      // eslint-disable-next-line no-sparse-arrays
      const layout = [, { name: 'a', size: 10, kind: 'weight' }] as unknown as ParameterLayout;
      const opt = new LARSOptimizer(null, plain, { layout, onWarning: (m) => warnings.push(m) });
      const name = opt.backendName;
      const w = Vector.from(new Array(10).fill(1), 'float32');
      let error: unknown = null;
      try {
        opt.step(w, Vector.from(new Array(10).fill(0.1), 'float32'));
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(OptimizerInputError);
      expect((error as OptimizerInputError).code).to.equal('invalid-layout');
      expect((error as Error).message).to.match(/entry 0 is missing/);
      expect(opt.backendName).to.equal(name);
      expect(warnings).to.deep.equal([]);
      expect(Array.from(w.data)).to.deep.equal(new Array(10).fill(1));
    });

    it('the JS loops are not used as a fallback for it either', () => {
      const opt = new LARSOptimizer(null, plain, { layout: [null] as unknown as ParameterLayout, backend: new CpuBackend() });
      expect(() => opt.step(Vector.from([1], 'float32'), Vector.from([1], 'float32'))).to.throw(OptimizerInputError, /entry 0/);
    });
  });
});
