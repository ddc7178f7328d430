import { expect } from 'chai';
import * as presets from '../../src/options/presets.js';
import type { LARSOptimizerOptions, LARSOptimizerOptionsInput } from '../../src/options/LARSOptimizerOptions.js';
import { uniform } from '../support/random.js';
import { stepBoth, type ParityTensor } from './support/stepBoth.js';
import { TFJS_BACKENDS, useTfjsBackend } from './support/tfjsBackends.js';

/**
 * Parity of the tfjs adapter with the core LARSOptimizer (JS loops on float32
 * vectors, the same layout and kinds) over 8 steps, for every option.
 *
 * Tolerance: 2e-6 relative per tensor (‖Δw‖/‖w‖) at every step. The core
 * reads float32 and computes each element in float64 (one rounding per
 * stored value); tfjs rounds every op to float32 (about 6 roundings of
 * 2^-24 ≈ 6e-8 each on the update) and sums the squared norms in float32.
 * The adapter sums them row by row, so a norm's relative error stays near
 * (rows + columns)·2^-24 (≈1e-4 at worst for a 1024×1024 kernel, ~1e-7 in
 * practice), which the trust ratio passes on to the update, not to w.
 * Updates are at most ~10% of ‖w‖ per step here, so 8 steps stay well
 * inside 2e-6; the measured worst case is printed below (1.6e-7). Summing a
 * 1M-element kernel in one go on tfjs-backend-wasm drifts 3.8e-6 and fails.
 */
const TOLERANCE = 2e-6;
const STEPS = 8;

function makeTensors(seed: number, zeroGradient = false): ParityTensor[] {
  const rnd = uniform(seed);
  const values = (n: number, scale: number) => Array.from({ length: n }, () => (rnd() * 2 - 1) * scale);
  const tensor = (name: string, shape: number[], kind: ParityTensor['kind'], gradScale: number): ParityTensor => {
    const n = shape.reduce((a, b) => a * b, 1);
    return { name, shape, kind, init: values(n, 0.5), grads: Array.from({ length: STEPS }, () => values(n, gradScale)) };
  };
  const tensors = [
    tensor('conv/kernel', [3, 3, 2, 4], 'weight', 0.2),
    tensor('conv/bias', [4], 'bias', 0.1),
    tensor('dense/kernel', [6, 5], 'weight', 0.05),
    tensor('dense/bias', [5], 'bias', 0.1),
    tensor('out/kernel', [5, 3], 'weight', 1.5),
  ];
  if (zeroGradient) {
    const t = tensors[2];
    tensors[2] = { ...t, grads: t.grads.map((g) => g.map(() => 0)) };
  }
  return tensors;
}

const base: LARSOptimizerOptionsInput = { initialLearningRate: 0.5, warmupEpochs: 0, learningRateSchedule: 'constant', trustCoefficient: 0.02 };

const CASES: [string, LARSOptimizerOptions | LARSOptimizerOptionsInput, number?][] = [
  ['defaults of the paper rule (momentum 0.9, wd 1e-4, bias excluded)', base],
  ['momentum 0', { ...base, momentum: 0 }],
  ['dampening 0.3', { ...base, dampening: 0.3 }],
  ['Nesterov', { ...base, useNesterov: true }],
  ['weight decay 0.05', { ...base, weightDecay: 0.05 }],
  ['weight decay 0', { ...base, weightDecay: 0 }],
  ['trust coefficient 0.2', { ...base, trustCoefficient: 0.2 }],
  ['epsilon 0.01', { ...base, epsilon: 0.01 }],
  ['bias not excluded', { ...base, excludeBiasFromLARS: false }],
  ['skipLARSLayers [0, 4]', { ...base, skipLARSLayers: [0, 4] }],
  ['maxUnorm 0.002 (paper rule)', { ...base, maxUnorm: 0.002 }],
  ['percentile clipping 5', { ...base, percentileClipping: 5 }],
  ['global gradient clipping at 0.3', { ...base, useGradientClipping: true, maxGradientNorm: 0.3 }],
  ['warmup 2 epochs + polynomial schedule (3 steps per epoch)', { ...base, warmupEpochs: 2, learningRateSchedule: 'polynomial', maxIterations: 3, stepsPerEpoch: 3 }],
  ['cosine schedule to a floor', { ...base, learningRateSchedule: 'cosine', maxIterations: 2, stepsPerEpoch: 3, minLearningRate: 0.05 }],
  ['timm preset (wd, momentum, trust_clip)', presets.timm({ lr: 0.5, momentum: 0.9, weight_decay: 1e-3, trust_clip: true })],
  ['timm preset without weight decay (plain momentum)', presets.timm({ lr: 0.2, momentum: 0.9 })],
  ['timm preset always_adapt, Nesterov', presets.timm({ lr: 0.5, momentum: 0.9, nesterov: true, always_adapt: true })],
  ['Bolts preset (a zero gradient takes the plain-gradient fallback)', presets.bolts({ lr: 0.3, momentum: 0.9, weight_decay: 1e-3 }), 1],
  ['Bolts preset with dampening', presets.bolts({ lr: 0.3, momentum: 0.8, dampening: 0.2, weight_decay: 1e-3 })],
  ['bitsandbytes preset (update-norm clip)', presets.bitsandbytes({ lr: 0.2, momentum: 0.9, weight_decay: 1e-3 })],
  ['bitsandbytes LARS with percentile clipping', presets.bitsandbytesLars({ lr: 0.2, momentum: 0.9, percentile_clipping: 10 })],
];

for (const backend of TFJS_BACKENDS) {
  describe(`tfjs adapter parity with the core LARSOptimizer (tfjs ${backend} backend, float32, ${TOLERANCE} relative per tensor)`, () => {
    let worst = 0;
    before(async () => useTfjsBackend(backend));
    after(() => console.log(`      (worst relative drift on ${backend}: ${worst.toExponential(2)})`));

    CASES.forEach(([name, options, zero], i) => {
      it(name, () => {
        const { maxRel, warnings } = stepBoth(makeTensors(100 + i, zero === 1), options, STEPS);
        worst = Math.max(worst, maxRel);
        expect(maxRel).to.be.at.most(TOLERANCE);
        // The cosine case runs 8 steps of a 6-step schedule: both say once that the rate rests at the floor; no other case warns.
        const pastEnd = name === 'cosine schedule to a floor';
        expect(warnings.core.length, warnings.core.join('; ')).to.equal(pastEnd ? 1 : 0);
        expect(warnings.adapter.length, warnings.adapter.join('; ')).to.equal(pastEnd ? 1 : 0);
        if (pastEnd) {
          expect(warnings.core[0]).to.match(/step 7 is past the end of the 'cosine' schedule/);
          expect(warnings.adapter[0]).to.match(/'cosine' schedule ended at step 6/);
        }
      });
    });

    it('skipping by name (a RegExp) equals the core skipping by index', () => {
      const tensors = makeTensors(7);
      const skipped = { ...base, skipLARSLayers: [2] };
      const { maxRel } = stepBoth(tensors, skipped, STEPS, { skipLayerNames: /dense\/kernel$/ }, base);
      expect(maxRel).to.be.at.most(TOLERANCE);
      const unskipped = stepBoth(tensors, skipped, STEPS, {}, base);
      expect(unskipped.maxRel, 'without the skip the adapter must differ from the skipping core').to.be.greaterThan(1e-4);
    });

    it('a 1M-element kernel stays within the tolerance (the norms are summed row by row)', () => {
      const rnd = uniform(3);
      const values = (n: number, scale: number) => Array.from({ length: n }, () => (rnd() * 2 - 1) * scale);
      const n = 1024 * 1024;
      const big: ParityTensor = { name: 'big/kernel', shape: [1024, 1024], kind: 'weight', init: values(n, 0.5), grads: [values(n, 0.1), values(n, 0.1)] };
      // momentum 0 and a large step: the update, and so any error of the trust ratio, is ~10% of ‖w‖ per step.
      const { maxRel } = stepBoth([big], { ...base, initialLearningRate: 5, momentum: 0 }, 2);
      worst = Math.max(worst, maxRel);
      expect(maxRel).to.be.at.most(TOLERANCE);
    });

    it('the clipping cases clip: maxUnorm, percentile and global clipping change the core trajectory', () => {
      const tensors = makeTensors(11);
      const plain = stepBoth(tensors, base, STEPS).coreFinal;
      for (const clip of [{ maxUnorm: 0.002 }, { percentileClipping: 5 }, { useGradientClipping: true, maxGradientNorm: 0.3 }]) {
        const clipped = stepBoth(tensors, { ...base, ...clip }, STEPS).coreFinal;
        const change = Math.max(...clipped.map((x, i) => Math.abs(x - plain[i])));
        expect(change, JSON.stringify(clip)).to.be.greaterThan(1e-5);
      }
    });
  });
}
