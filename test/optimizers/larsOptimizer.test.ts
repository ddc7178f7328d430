import { expect } from 'chai';
import { LARSOptimizer, OptimizerInputError, presets, Vector, type LARSOptimizerOptionsInput, type NumericType, type ParameterLayout } from '../../src/index.js';
import { createCpuBackend } from '../../src/backends/createCpuBackend.js';
import { CpuBackend } from '../../src/backends/js/CpuBackend.js';
import { WasmBackend } from '../../src/backends/wasm/WasmBackend.js';
import { type LayerCoefficients } from '../../src/core/LayerCoefficients.js';
import { type LayerPlan } from '../../src/core/LayerPlan.js';
import { type BackendState, type OptimizerBackend } from '../../src/core/OptimizerBackend.js';

/** The backend a fallback lands on first: WebAssembly SIMD where this runtime has it. */
const CPU_NAME = createCpuBackend().name;
/** Options with warmup and schedule off, so a step uses exactly initialLearningRate. */
const plain: LARSOptimizerOptionsInput = { warmupEpochs: 0, learningRateSchedule: 'constant', backend: 'cpu' };
const twoLayers: ParameterLayout = [
  { name: 'w', size: 4, kind: 'weight' },
  { name: 'b', size: 2, kind: 'bias' },
];
const norm = (xs: ArrayLike<number>) => Math.sqrt(Array.from(xs).reduce((a, x) => a + x * x, 0));

function vec(values: number[], dtype: NumericType = 'float64') {
  return Vector.from(values, dtype);
}

function lars(options: LARSOptimizerOptionsInput = {}, layout: ParameterLayout | null = twoLayers) {
  return new LARSOptimizer<NumericType>(null, { ...plain, ...options }, { layout });
}

/** Runs `steps` steps from w0 with gradients from `grad(step)`; returns the final parameters. */
function run(opt: LARSOptimizer<NumericType>, w0: number[], grad: (step: number) => number[], steps: number, dtype: NumericType = 'float64') {
  const w = vec(w0, dtype);
  for (let s = 0; s < steps; s++) opt.step(w, vec(grad(s), dtype));
  return w;
}

const W0 = [0.5, -0.25, 0.75, 1, 0.1, -0.2];
const G0 = [0.01, 0.02, -0.03, 0.04, 0.5, -0.5];

describe('LARSOptimizer', () => {
  describe('the default rule, by hand', () => {
    it('scales a weight layer by the trust ratio and moves an excluded bias by lr·g', () => {
      const o = { initialLearningRate: 0.5, weightDecay: 0.01, trustCoefficient: 0.02, epsilon: 1e-9, momentum: 0.9 };
      const w = run(lars(o), W0, () => G0, 1);
      const wl = W0.slice(0, 4);
      const gl = G0.slice(0, 4);
      const ratio = (0.02 * norm(wl)) / (norm(gl) + 0.01 * norm(wl) + 1e-9);
      wl.forEach((x, i) => expect(w.data[i]).to.be.closeTo(x - 0.5 * ratio * (gl[i] + 0.01 * x), 1e-15));
      expect(w.data[4]).to.be.closeTo(0.1 - 0.5 * 0.5, 1e-15);
      expect(w.data[5]).to.be.closeTo(-0.2 + 0.5 * 0.5, 1e-15);
    });

    it('carries momentum into the second step: v ← μv + lr·λ·d, w ← w − v', () => {
      const opt = lars({ initialLearningRate: 0.1, momentum: 0.9, weightDecay: 0 }, [{ name: 'b', size: 2, kind: 'bias' }]);
      const w = run(opt, [1, 1], () => [1, -1], 2);
      // bias layer: λ = 1, no decay. v1 = 0.1·g, v2 = 0.9·v1 + 0.1·g = 0.19·g.
      expect(Array.from(w.data)).to.deep.equal([1 - 0.1 - 0.19, 1 + 0.1 + 0.19]);
    });
  });

  describe('every option changes the step as documented', () => {
    const bias: ParameterLayout = [{ name: 'b', size: 2, kind: 'bias' }];
    const weight: ParameterLayout = [{ name: 'w', size: 2, kind: 'weight' }];

    it('dampening holds back (1 − dampening) of each new direction', () => {
      const w = run(lars({ initialLearningRate: 0.1, momentum: 0.5, dampening: 0.25 }, bias), [0, 0], () => [1, 1], 2);
      // v1 = 0.75·0.1 = 0.075; v2 = 0.5·0.075 + 0.075 = 0.1125
      expect(w.data[0]).to.be.closeTo(-(0.075 + 0.1125), 1e-15);
    });

    it('Nesterov steps by μ·v + lr·λ·d', () => {
      const w = run(lars({ initialLearningRate: 0.1, momentum: 0.5, useNesterov: true }, bias), [0, 0], () => [1, 1], 1);
      // v1 = 0.1; update = 0.5·0.1 + 0.1 = 0.15
      expect(w.data[0]).to.be.closeTo(-0.15, 1e-15);
    });

    it('weightDecay enters both the direction and the trust ratio', () => {
      const o = { initialLearningRate: 1, momentum: 0, trustCoefficient: 0.1, epsilon: 0 };
      const w = run(lars({ ...o, weightDecay: 0.5 }, weight), [3, 4], () => [0.3, 0.4], 1);
      const ratio = (0.1 * 5) / (0.5 + 0.5 * 5);
      expect(w.data[0]).to.be.closeTo(3 - ratio * (0.3 + 1.5), 1e-14);
      const noDecay = run(lars({ ...o, weightDecay: 0 }, weight), [3, 4], () => [0.3, 0.4], 1);
      expect(noDecay.data[0]).to.be.closeTo(3 - 0.1 * 5 / 0.5 * 0.3, 1e-14);
    });

    it('trustCoefficient scales the step linearly', () => {
      const o = { initialLearningRate: 1, momentum: 0, weightDecay: 0, epsilon: 0 };
      const a = run(lars({ ...o, trustCoefficient: 0.01 }, weight), [3, 4], () => [0.3, 0.4], 1);
      const b = run(lars({ ...o, trustCoefficient: 0.02 }, weight), [3, 4], () => [0.3, 0.4], 1);
      expect(3 - b.data[0]).to.be.closeTo(2 * (3 - a.data[0]), 1e-15);
    });

    it('epsilon bounds the ratio when the gradient is tiny', () => {
      const o = { initialLearningRate: 1, momentum: 0, weightDecay: 0, trustCoefficient: 1 };
      const w = run(lars({ ...o, epsilon: 1 }, weight), [3, 4], () => [3e-12, 4e-12], 1);
      // without ε the step would be 3 (ratio 1e12); with ε = 1 it is about 1.5e-11
      expect(3 - w.data[0]).to.be.closeTo((5 / (5e-12 + 1)) * 3e-12, 1e-15);
    });

    it('excludeBiasFromLARS off adapts the bias like a weight', () => {
      const on = run(lars({ initialLearningRate: 1, momentum: 0, weightDecay: 0.1 }), W0, () => G0, 1);
      const off = run(lars({ initialLearningRate: 1, momentum: 0, weightDecay: 0.1, excludeBiasFromLARS: false }), W0, () => G0, 1);
      expect(on.data[4]).to.be.closeTo(0.1 - 0.5, 1e-15);
      const bw = W0.slice(4);
      const bg = G0.slice(4);
      const ratio = (0.001 * norm(bw)) / (norm(bg) + 0.1 * norm(bw) + 1e-8);
      expect(off.data[4]).to.be.closeTo(0.1 - ratio * (0.5 + 0.1 * 0.1), 1e-15);
      expect(Array.from(on.data.slice(0, 4))).to.deep.equal(Array.from(off.data.slice(0, 4)));
    });

    it('skipLARSLayers uses ratio 1 and keeps weight decay', () => {
      const w = run(lars({ initialLearningRate: 0.5, momentum: 0, weightDecay: 0.1, skipLARSLayers: [0] }), W0, () => G0, 1);
      W0.slice(0, 4).forEach((x, i) => expect(w.data[i]).to.be.closeTo(x - 0.5 * (G0[i] + 0.1 * x), 1e-15));
    });

    it('layerBoundaries override the layout (mixing kinds in a layer only with excludeBiasFromLARS off)', () => {
      const o = { initialLearningRate: 1, momentum: 0, weightDecay: 0, excludeBiasFromLARS: false };
      const one = run(lars({ ...o, layerBoundaries: [6] }), W0, () => G0, 1);
      const ratio = (0.001 * norm(W0)) / (norm(G0) + 1e-8);
      W0.forEach((x, i) => expect(one.data[i]).to.be.closeTo(x - ratio * G0[i], 1e-15));
      const split = run(lars({ ...o, layerBoundaries: [2] }), W0, () => G0, 1);
      const r0 = (0.001 * norm(W0.slice(0, 2))) / (norm(G0.slice(0, 2)) + 1e-8);
      expect(split.data[0]).to.be.closeTo(W0[0] - r0 * G0[0], 1e-15);
    });

    it('warmupEpochs scales the first steps by step/W', () => {
      const opt = new LARSOptimizer(null, { initialLearningRate: 1, momentum: 0, warmupEpochs: 2, stepsPerEpoch: 2, backend: 'cpu' }, {
        layout: bias,
      });
      const w = vec([0, 0]);
      const lrs: number[] = [];
      for (let s = 0; s < 5; s++) {
        const before = w.data[0];
        opt.step(w, vec([1, 1]));
        lrs.push(before - w.data[0]);
      }
      expect(lrs.slice(0, 4)).to.deep.equal([0.25, 0.5, 0.75, 1]);
    });

    it('useGradientClipping clips the global gradient norm to maxGradientNorm', () => {
      const o = { initialLearningRate: 1, momentum: 0, weightDecay: 0, useGradientClipping: true, maxGradientNorm: 1 };
      const w = run(lars(o, bias), [0, 0], () => [30, 40], 1);
      expect(Array.from(w.data)).to.deep.equal([-0.6, -0.8]);
      const under = run(lars(o, bias), [0, 0], () => [0.3, 0.4], 1);
      expect(Array.from(under.data)).to.deep.equal([-0.3, -0.4]);
    });

    it('maxUnorm caps each layer at ‖u‖ ≤ maxUnorm·‖w‖ and freezes a zero-weight layer', () => {
      const layout: ParameterLayout = [
        { name: 'a', size: 2, kind: 'weight' },
        { name: 'z', size: 2, kind: 'weight' },
      ];
      const opts = { initialLearningRate: 1, momentum: 0, weightDecay: 0, skipLARSLayers: [0, 1], maxUnorm: 0.01 };
      const w = run(lars(opts, layout), [3, 4, 0, 0], () => [1, 1, 1, 1], 1);
      const step = [3 - w.data[0], 4 - w.data[1]];
      expect(norm(step)).to.be.closeTo(0.01 * 5, 1e-15);
      expect(step[0]).to.be.closeTo(step[1], 1e-15);
      expect([w.data[2], w.data[3]]).to.deep.equal([0, 0]);
    });

    it('percentileClipping clips a gradient spike to the p-th percentile of recent norms', () => {
      const opt = lars({ initialLearningRate: 1, momentum: 0, weightDecay: 0, percentileClipping: 50 }, bias);
      const w = vec([0, 0]);
      opt.step(w, vec([3, 4]));
      expect(Array.from(w.data)).to.deep.equal([-3, -4]);
      opt.step(w, vec([30, 40]));
      // history: 99 slots of 25, one of 2500 → sorted[50] = 25 → clip 5 of 50
      expect(w.data[0]).to.be.closeTo(-3 - 3, 1e-12);
      expect(w.data[1]).to.be.closeTo(-4 - 4, 1e-12);
    });
  });

  describe('peer rules on the cases the held-back golden runs cover', () => {
    const layout: ParameterLayout = [
      { name: 'zero_w', size: 2, kind: 'weight' },
      { name: 'zero_g', size: 2, kind: 'weight' },
    ];
    const w0 = [0, 0, 1, 2];
    const g0 = [0.5, -0.5, 0, 0];

    it('timm trust_clip turns the zero-norm fallback into min(1/lr, 1)', () => {
      const opt = new LARSOptimizer(null, presets.timm({ lr: 2, weight_decay: 0.1, trust_clip: true }), { layout });
      const w = vec(w0);
      opt.step(w, vec(g0));
      // zero-weight layer: ratio 1 → min(1/2, 1) = 0.5; d = g; w −= lr·0.5·g
      expect(w.data[0]).to.be.closeTo(-2 * 0.5 * 0.5, 1e-15);
      // zero-gradient layer: d = wd·w, ratio 0.5 → w −= 2·0.5·0.1·w
      expect(w.data[2]).to.be.closeTo(1 - 0.1, 1e-15);
    });

    it('Lightning Bolts uses the plain gradient, no decay, on zero norms', () => {
      const opt = new LARSOptimizer(null, presets.bolts({ lr: 2, weight_decay: 0.1 }), { layout });
      const w = vec(w0);
      opt.step(w, vec(g0));
      expect(w.data[0]).to.be.closeTo(-1, 1e-15);
      expect([w.data[2], w.data[3]]).to.deep.equal([1, 2]);
    });

    it('bitsandbytes PytorchLARS freezes a zero-weight layer under max_unorm', () => {
      const opt = new LARSOptimizer(null, presets.bitsandbytes({ lr: 2, momentum: 0.9, weight_decay: 0.1 }), { layout });
      const w = vec(w0);
      opt.step(w, vec(g0));
      expect([w.data[0], w.data[1]]).to.deep.equal([0, 0]);
    });

    it('supports momentum 0 in the bitsandbytes preset, where PytorchLARS crashes', () => {
      const opt = new LARSOptimizer(null, presets.bitsandbytes({ lr: 0.5, weight_decay: 0.1, max_unorm: 0 }), { layout });
      const w = vec([1, 1, 1, 1]);
      opt.step(w, vec([1, 1, 1, 1]));
      expect(w.data[0]).to.be.closeTo(1 - 0.5 * 1.1, 1e-15);
      expect(opt.stateBytes()).to.equal(0);
    });

    it('rejects unknown and invalid preset keyword arguments by name', () => {
      expect(() => presets.timm({ lr: 1, trust_coef: 0.1 } as never)).to.throw(/trust_coef: unknown option \(did you mean trust_coeff\?\)/);
      expect(() => presets.bolts({} as never)).to.throw(/lr/);
      expect(() => presets.bitsandbytes({ momentum: 1 })).to.throw(/momentum/);
      expect(presets.timm({ lr: 1 }, { layerBoundaries: [4] }).layerBoundaries).to.deep.equal([4]);
    });
  });

  describe('bad input: a clear error, and nothing changes', () => {
    const cases: [string, (dtype: NumericType) => [Vector, Vector], string, RegExp][] = [
      ['a length mismatch', (d) => [vec(W0, d), vec(G0.slice(0, 5), d)], 'length-mismatch', /6 elements but the gradient has 5/],
      ['NaN in the gradient', (d) => [vec(W0, d), vec([...G0.slice(0, 5), NaN], d)], 'non-finite-gradient', /layer 1 \(b/],
      ['+Infinity in the gradient', (d) => [vec(W0, d), vec([Infinity, ...G0.slice(1)], d)], 'non-finite-gradient', /layer 0 \(w/],
      ['-Infinity in the gradient', (d) => [vec(W0, d), vec([...G0.slice(0, 3), -Infinity, ...G0.slice(4)], d)], 'non-finite-gradient', /NaN or ±Infinity/],
      ['NaN in the parameters', (d) => [vec([NaN, ...W0.slice(1)], d), vec(G0, d)], 'non-finite-parameters', /layer 0/],
      ['a dtype mismatch', (d) => [vec(W0, d), vec(G0, d === 'float32' ? 'float64' : 'float32')], 'dtype-mismatch', /gradient is float/],
      ['a raw typed array', (d) => [vec(W0, d), new Float64Array(6) as unknown as Vector], 'dtype-mismatch', /Vector instances/],
      ['a different length after the first step', (d) => [vec([...W0, 1], d), vec([...G0, 1], d)], 'length-mismatch', /set up for 6/],
    ];
    for (const dtype of ['float32', 'float64'] as const) {
      for (const [title, make, code, message] of cases) {
        it(`${title} (${dtype})`, () => {
          const opt = lars({ percentileClipping: 90, momentum: 0.9 });
          const clean = lars({ percentileClipping: 90, momentum: 0.9 });
          const w = vec(W0, dtype);
          const wClean = vec(W0, dtype);
          opt.step(w, vec(G0, dtype));
          clean.step(wClean, vec(G0, dtype));
          const before = JSON.stringify(opt.saveState());
          const [p, g] = make(dtype);
          const pBefore = Array.from(p.data);
          const gBefore = Array.from((g as Vector).data ?? []);
          let error: unknown;
          try {
            opt.step(p as Vector<NumericType>, g as Vector<NumericType>);
          } catch (e) {
            error = e;
          }
          expect(error, 'step should throw').to.be.instanceOf(OptimizerInputError);
          expect((error as OptimizerInputError).code).to.equal(code);
          expect((error as Error).message).to.match(message);
          expect(Array.from(p.data)).to.deep.equal(pBefore);
          if (g instanceof Vector) expect(Array.from(g.data)).to.deep.equal(gBefore);
          expect(JSON.stringify(opt.saveState())).to.equal(before);
          opt.step(w, vec(G0, dtype));
          clean.step(wClean, vec(G0, dtype));
          expect(Array.from(w.data)).to.deep.equal(Array.from(wClean.data));
        });
      }
    }

    it('rejects a dtype change after the first step until reset()', () => {
      const opt = lars();
      opt.step(vec(W0, 'float32'), vec(G0, 'float32'));
      expect(() => opt.step(vec(W0, 'float64'), vec(G0, 'float64'))).to.throw(OptimizerInputError, /state is float32/);
      opt.reset();
      expect(() => opt.step(vec(W0, 'float64'), vec(G0, 'float64'))).to.not.throw();
    });
  });

  describe('public surface', () => {
    it('updateParameters returns a new vector, leaves the input alone and advances the state', () => {
      const opt = lars();
      const w = vec(W0);
      const out = opt.updateParameters(w, vec(G0));
      expect(out).to.not.equal(w);
      expect(Array.from(w.data)).to.deep.equal(W0);
      expect(opt.iterations).to.equal(1);
      const inPlace = run(lars(), W0, () => G0, 1);
      expect(Array.from(out.data)).to.deep.equal(Array.from(inPlace.data));
    });

    it('reset() makes it behave like a fresh optimizer', () => {
      const opt = lars();
      run(opt, W0, () => G0, 3);
      opt.reset();
      expect(opt.iterations).to.equal(0);
      expect(opt.stateBytes()).to.equal(0);
      expect(Array.from(run(opt, W0, () => G0, 2).data)).to.deep.equal(Array.from(run(lars(), W0, () => G0, 2).data));
    });

    it('getOptions() returns the validated options', () => {
      const opt = lars({ trustCoefficient: 0.01 });
      expect(opt.getOptions().trustCoefficient).to.equal(0.01);
      expect(opt.getOptions()).to.equal(opt.options);
      expect(() => new LARSOptimizer(null, { momentum: 5 })).to.throw(/momentum/);
    });

    it('reports state memory: 4 or 8 bytes per element, none without momentum', () => {
      const f32 = lars();
      run(f32, W0, () => G0, 1, 'float32');
      expect(f32.stateBytes()).to.equal(6 * 4);
      const f64 = lars();
      run(f64, W0, () => G0, 1, 'float64');
      expect(f64.stateBytes()).to.equal(6 * 8);
      const none = lars({ momentum: 0 });
      run(none, W0, () => G0, 1);
      expect(none.stateBytes()).to.equal(0);
    });

    it('reads layer boundaries and biases from the model layout', () => {
      const model = { parameterLayout: () => twoLayers } as unknown as ConstructorParameters<typeof LARSOptimizer>[0];
      const opt = new LARSOptimizer(model, { ...plain, momentum: 0 });
      const w = vec(W0);
      opt.step(w, vec(G0));
      expect(opt.layerPlan!.segments.map((s) => s.name)).to.deep.equal(['w', 'b']);
      expect(w.data[4]).to.be.closeTo(0.1 - 0.3 * 0.5, 1e-15);
    });
  });

  describe('float32', () => {
    it('tracks the float64 path within 1e-6 relative over 20 steps', () => {
      // Each float32 store rounds to 2^-24 ≈ 6e-8 relative; 20 steps of a
      // contracting update stay well inside 1e-6.
      const grad = (s: number) => G0.map((g, i) => g * Math.cos(s + i));
      const opts = { momentum: 0.9, useNesterov: true, weightDecay: 1e-3, trustCoefficient: 0.02 };
      const a = run(lars(opts), W0, grad, 20, 'float32');
      const b = run(lars(opts), W0, grad, 20, 'float64');
      b.data.forEach((x, i) => expect(Math.abs(a.data[i] - x)).to.be.at.most(1e-6 * Math.max(1, Math.abs(x))));
    });
  });

  describe('saveState / loadState', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      it(`continues bit-identically after a JSON round trip (${dtype})`, () => {
        const opts = { momentum: 0.9, percentileClipping: 80, maxUnorm: 0.5, stepsPerEpoch: 2, warmupEpochs: 1, maxIterations: 5 };
        const grad = (s: number) => G0.map((g, i) => g * (1 + 0.3 * Math.sin(3 * s + i)));
        const whole = lars({ ...opts, learningRateSchedule: 'polynomial' });
        const wWhole = run(whole, W0, grad, 6, dtype);
        const first = lars({ ...opts, learningRateSchedule: 'polynomial' });
        const w = run(first, W0, grad, 3, dtype);
        const saved = JSON.parse(JSON.stringify(first.saveState()));
        const second = lars({ ...opts, learningRateSchedule: 'polynomial' });
        second.loadState(saved);
        expect(second.iterations).to.equal(3);
        for (let s = 3; s < 6; s++) second.step(w, vec(grad(s), dtype));
        expect(Array.from(w.data)).to.deep.equal(Array.from(wWhole.data));
        expect(JSON.stringify(second.saveState())).to.equal(JSON.stringify(whole.saveState()));
      });
    }

    it('rejects a state that does not fit, and keeps its own', () => {
      const opt = lars();
      run(opt, W0, () => G0, 2);
      const good = opt.saveState();
      const before = JSON.stringify(good);
      const bad: [string, unknown, RegExp][] = [
        ['not a state', { hello: 1 }, /not a lars-ts optimizer state/],
        ['a future version', { ...good, version: 3 }, /unsupported version 3/],
        ['a negative step count', { ...good, stepCount: -1 }, /stepCount/],
        ['a length that does not fit the layout', { ...good, length: 7 }, /add up to 6/],
        ['truncated momentum bytes', { ...good, momentum: [{ bits: 32, values: 'AAAA' }, good.momentum![1]] }, /whole 8-byte|element/],
        ['a missing layer', { ...good, momentum: [good.momentum![0]] }, /1 layer/],
        ['an unknown dtype', { ...good, dtype: 'int8' }, /dtype/],
        ['an unknown bit width', { ...good, momentum: [{ bits: 16, values: '' }, good.momentum![1]] }, /16 bits/],
      ];
      for (const [title, state, message] of bad) {
        expect(() => opt.loadState(state as never), title).to.throw(OptimizerInputError, message);
        expect(JSON.stringify(opt.saveState()), title).to.equal(before);
      }
    });

    it('saves the state of an optimizer that never stepped', () => {
      const opt = lars();
      const fresh = lars();
      fresh.loadState(JSON.parse(JSON.stringify(opt.saveState())));
      expect(fresh.iterations).to.equal(0);
      expect(Array.from(run(fresh, W0, () => G0, 2).data)).to.deep.equal(Array.from(run(lars(), W0, () => G0, 2).data));
    });
  });

  describe('backends', () => {
    /** A backend that delegates to the CPU and fails on demand, like a GPU losing its context. */
    class FlakyBackend implements OptimizerBackend {
      readonly name = 'flaky-gpu';
      private readonly cpu = new CpuBackend();
      failOnUpdate = false;
      disposed = false;
      constructor(
        private readonly float64 = true,
        private readonly eightBit = true,
      ) {}
      supports(dtype: NumericType) {
        return dtype === 'float32' || this.float64;
      }
      supportsStateBits(bits: 8 | 32) {
        return bits === 32 || this.eightBit;
      }
      createState(plan: LayerPlan, dtype: NumericType) {
        return this.cpu.createState(plan, dtype);
      }
      layerNorms(plan: LayerPlan, p: Vector, g: Vector) {
        return this.cpu.layerNorms(plan, p, g);
      }
      updateNorms(plan: LayerPlan, c: LayerCoefficients, p: Vector, g: Vector, s: BackendState | null) {
        return this.cpu.updateNorms(plan, c, p, g, s);
      }
      applyUpdate(plan: LayerPlan, c: LayerCoefficients, p: Vector, g: Vector, s: BackendState | null) {
        if (this.failOnUpdate) throw new Error('context lost');
        this.cpu.applyUpdate(plan, c, p, g, s);
      }
      dispose() {
        this.disposed = true;
      }
    }

    it('falls back to the CPU mid-run with a warning, keeping the momentum', () => {
      const warnings: string[] = [];
      const flaky = new FlakyBackend();
      const opt = new LARSOptimizer(null, plain, { layout: twoLayers, backend: flaky, onWarning: (m) => warnings.push(m) });
      expect(opt.backendName).to.equal('flaky-gpu');
      const w = vec(W0);
      opt.step(w, vec(G0));
      flaky.failOnUpdate = true;
      opt.step(w, vec(G0));
      expect(opt.backendName).to.equal(CPU_NAME);
      expect(flaky.disposed).to.equal(true);
      expect(warnings.join('\n')).to.match(/flaky-gpu failed \(context lost\); continuing on the CPU/);
      expect(Array.from(w.data)).to.deep.equal(Array.from(run(lars(), W0, () => G0, 2).data));
    });

    it('a failing WebAssembly backend falls to the JS loops, keeping the momentum', () => {
      const warnings: string[] = [];
      const wasm = WasmBackend.create()!;
      const opt = new LARSOptimizer(null, plain, { layout: twoLayers, backend: wasm, onWarning: (m) => warnings.push(m) });
      const w = vec(W0);
      opt.step(w, vec(G0));
      wasm.applyUpdate = () => {
        throw new Error('memory gone');
      };
      opt.step(w, vec(G0));
      expect(opt.backendName).to.equal('cpu');
      expect(warnings.join('\n')).to.match(/wasm-simd failed \(memory gone\); continuing on the CPU backend \(cpu\)/);
      expect(Array.from(w.data)).to.deep.equal(Array.from(run(lars(), W0, () => G0, 2).data));
    });

    it('moves float64 work off a single-precision backend with a warning, never downcasting', () => {
      const warnings: string[] = [];
      const opt = new LARSOptimizer(null, plain, { layout: twoLayers, backend: new FlakyBackend(false), onWarning: (m) => warnings.push(m) });
      const w = vec(W0, 'float64');
      opt.step(w, vec(G0, 'float64'));
      expect(opt.backendName).to.equal(CPU_NAME);
      expect(warnings[0]).to.match(/cannot compute in float64/);
      expect(Array.from(w.data)).to.deep.equal(Array.from(run(lars(), W0, () => G0, 1).data));
    });

    it('moves 8-bit state off a backend that holds only 32-bit state, with a warning', () => {
      const warnings: string[] = [];
      const layout: ParameterLayout = [{ name: 'big', size: 300, kind: 'weight' }];
      const options = { ...plain, optimBits: 8 as const, min8bitSize: 256 };
      const opt = new LARSOptimizer(null, options, { layout, backend: new FlakyBackend(true, false), onWarning: (m) => warnings.push(m) });
      const cpu = new LARSOptimizer(null, options, { layout });
      const g = Vector.from(Array.from({ length: 300 }, (_, i) => Math.sin(i)), 'float32');
      const w = Vector.from(Array.from({ length: 300 }, (_, i) => Math.cos(i)), 'float32');
      const wCpu = w.clone();
      opt.step(w, g);
      cpu.step(wCpu, g);
      expect(opt.backendName).to.be.oneOf([CPU_NAME, 'cpu']);
      expect(warnings[0]).to.match(/cannot hold 8-bit optimizer state/);
      expect(opt.stateBytes()).to.equal(cpu.stateBytes()).and.to.be.below(300 * 4);
      expect(Array.from(w.data)).to.deep.equal(Array.from(wCpu.data));
    });

    it("picks a CPU backend for backend: 'cpu' (WebAssembly SIMD where available, else JS loops)", () => {
      expect(new LARSOptimizer(null, { backend: 'cpu' }).backendName).to.be.oneOf(['wasm-simd', 'cpu']);
    });
  });
});
