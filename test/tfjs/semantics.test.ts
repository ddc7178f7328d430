import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { OptimizerInputError } from '../../src/core/OptimizerInputError.js';
import { OptionsValidationError } from '../../src/options/OptionsValidationError.js';
import * as presets from '../../src/options/presets.js';
import { LARSScheduleCallback, TfjsLARSOptimizer, type NamedTensor } from '../../src/tfjs/index.js';
import { stepBoth, type ParityTensor } from './support/stepBoth.js';
import { TFJS_BACKENDS, useTfjsBackend } from './support/tfjsBackends.js';

let counter = 0;
/** Fresh variables with unique names: a 2×3 kernel and a bias of 3. */
function variables(): tf.Variable[] {
  const tag = `sem${counter++}`;
  return [
    tf.variable(tf.tensor2d([[0.5, -0.2, 0.3], [0.1, 0.2, -0.4]]), true, `${tag}/kernel`),
    tf.variable(tf.tensor1d([0.1, -0.1, 0.05]), true, `${tag}/bias`),
  ];
}

function gradients(vars: tf.Variable[], scale = 1): NamedTensor[] {
  return [
    { name: vars[0].name, tensor: tf.mul(tf.tensor2d([[0.1, 0.2, -0.3], [0.05, 0.01, 0.02]]), scale) },
    { name: vars[1].name, tensor: tf.mul(tf.tensor1d([0.3, -0.2, 0.1]), scale) },
  ];
}

const CONSTANT = { warmupEpochs: 0, learningRateSchedule: 'constant' as const, initialLearningRate: 0.5 };

for (const backend of TFJS_BACKENDS) {
  describe(`tfjs adapter semantics (tfjs ${backend} backend)`, () => {
    before(async () => useTfjsBackend(backend));

    for (const [label, bad] of [
      ['NaN', NaN],
      ['+Infinity', Infinity],
      ['-Infinity', -Infinity],
    ] as const) {
      it(`a gradient holding ${label} applies nothing and raises OptimizerInputError`, async () => {
        const vars = variables();
        const opt = new TfjsLARSOptimizer(CONSTANT);
        opt.applyGradients(gradients(vars));
        const before = vars.map((v) => Array.from(v.dataSync()));
        const momentumBefore = (await opt.getWeights()).map((w) => Array.from(w.tensor.dataSync()));
        const grads = gradients(vars);
        grads[1] = { name: vars[1].name, tensor: tf.tensor1d([0.3, bad, 0.1]) };
        expect(() => opt.applyGradients(grads))
          .to.throw(OptimizerInputError, /gradient of variable 1 .*bias.* NaN or ±Infinity/)
          .with.property('code', 'non-finite-gradient');
        expect(vars.map((v) => Array.from(v.dataSync()))).to.deep.equal(before);
        expect((await opt.getWeights()).map((w) => Array.from(w.tensor.dataSync()))).to.deep.equal(momentumBefore);
        expect(opt.iterations).to.equal(1);
        opt.dispose();
        tf.dispose(vars);
      });
    }

    it('a gradient of the wrong shape or type is refused before anything changes', () => {
      const vars = variables();
      const opt = new TfjsLARSOptimizer(CONSTANT);
      expect(() => opt.applyGradients([{ name: vars[0].name, tensor: tf.zeros([3, 2]) }])).to.throw(OptimizerInputError, /shape \[3, 2\]/);
      expect(() => opt.applyGradients([{ name: vars[0].name, tensor: tf.zeros([2, 3], 'int32') }])).to.throw(OptimizerInputError, /float32/);
      expect(() => opt.applyGradients([{ name: 'no-such-variable', tensor: tf.zeros([2]) }])).to.throw(OptimizerInputError, /no tfjs variable/);
      expect(opt.iterations).to.equal(0);
      expect(tf.memory().numTensors).to.be.greaterThan(0);
      opt.dispose();
      tf.dispose(vars);
    });

    it('reads the squared norms back in one transfer per step (two with maxUnorm)', () => {
      for (const [options, expected] of [
        [CONSTANT, 1],
        [{ ...CONSTANT, maxUnorm: 0.01 }, 2],
      ] as const) {
        const vars = variables();
        const opt = new TfjsLARSOptimizer(options);
        const grads = gradients(vars);
        const proto = tf.Tensor.prototype as unknown as { dataSync: () => unknown; data: () => Promise<unknown> };
        const { dataSync, data } = proto;
        let reads = 0;
        proto.dataSync = function (this: tf.Tensor) {
          reads++;
          return dataSync.call(this);
        };
        proto.data = function (this: tf.Tensor) {
          reads++;
          return data.call(this);
        };
        try {
          opt.applyGradients(grads);
        } finally {
          proto.dataSync = dataSync;
          proto.data = data;
        }
        expect(reads).to.equal(expected);
        opt.dispose();
        tf.dispose([...vars, ...grads.map((g) => g.tensor)]);
      }
    });

    it('rank ≤ 1 variables are bias/norm (excluded from LARS); kindOf overrides by name and shape', () => {
      const tensors: ParityTensor[] = [
        { name: 'k', shape: [2, 3], kind: 'weight', init: [0.5, -0.2, 0.3, 0.1, 0.2, -0.4], grads: [[0.1, 0.2, -0.3, 0.05, 0.01, 0.02]] },
        { name: 'scale', shape: [3], kind: 'bias', init: [1, 0.9, 1.1], grads: [[0.3, -0.2, 0.1]] },
      ];
      expect(stepBoth(tensors, CONSTANT, 1).maxRel).to.be.at.most(1e-7);
      const asWeight = tensors.map((t) => ({ ...t, kind: 'weight' as const }));
      expect(stepBoth(asWeight, CONSTANT, 1, { kindOf: (name, shape) => (shape.length === 1 && name.endsWith('scale') ? 'weight' : undefined) }).maxRel).to.be.at.most(1e-7);
      // The override matters: the default kind differs from the core treating the scale as a weight.
      expect(stepBoth(asWeight, CONSTANT, 1).maxRel).to.be.greaterThan(1e-3);
      expect(() => stepBoth(tensors, CONSTANT, 1, { kindOf: () => 'kernel' as never })).to.throw(OptimizerInputError, /kindOf returned "kernel"/);
    });

    it('skipLARSLayers past the end and skipLayerNames that match nothing are refused, naming the variables', () => {
      const vars = variables();
      expect(() => new TfjsLARSOptimizer({ ...CONSTANT, skipLARSLayers: [2] }).applyGradients(gradients(vars))).to.throw(
        OptimizerInputError,
        /skipLARSLayers names layer 2, but 2 variable/,
      );
      expect(() => new TfjsLARSOptimizer(CONSTANT, { skipLayerNames: ['dense/kernal'] }).applyGradients(gradients(vars))).to.throw(
        OptimizerInputError,
        /"dense\/kernal".*match no trained variable/,
      );
      expect(Array.from(vars[0].dataSync())).to.deep.equal([0.5, -0.2, 0.3, 0.1, 0.2, -0.4].map(Math.fround));
      tf.dispose(vars);
    });

    it('refuses 8-bit state and layerBoundaries with errors that name the alternative', () => {
      expect(() => new TfjsLARSOptimizer({ optimBits: 8 })).to.throw(OptionsValidationError, /optimBits: 32, or step a flat vector with the core LARSOptimizer/);
      expect(() => new TfjsLARSOptimizer(presets.bitsandbytesLars({ lr: 0.1, optim_bits: 8 }))).to.throw(OptionsValidationError, /optimBits/);
      expect(() => new TfjsLARSOptimizer({ layerBoundaries: [4] })).to.throw(OptionsValidationError, /each tfjs variable one layer/);
      expect(() => new TfjsLARSOptimizer({ momentum: 2 })).to.throw(OptionsValidationError, /momentum/);
    });

    it('warns once when warmup or a schedule needs steps per epoch, and runs at the constant rate', () => {
      const warnings: string[] = [];
      const vars = variables();
      const opt = new TfjsLARSOptimizer({ initialLearningRate: 0.5, warmupEpochs: 2 }, { onWarning: (m) => warnings.push(m) });
      for (let s = 0; s < 3; s++) opt.applyGradients(gradients(vars));
      expect(warnings).to.have.length(1);
      expect(warnings[0]).to.match(/warmupEpochs \(2\) and learningRateSchedule 'polynomial'.*stays at 0.5.*stepsPerEpoch.*LARSScheduleCallback/);
      expect(opt.currentLearningRate).to.equal(0.5);
      opt.setStepsPerEpoch(3);
      expect(opt.currentLearningRate).to.be.closeTo((0.5 * 4) / 6, 1e-15); // step 4 of a 6-step warmup
      const quiet: string[] = [];
      const withSteps = new TfjsLARSOptimizer({ initialLearningRate: 0.5, warmupEpochs: 2, stepsPerEpoch: 2 }, { onWarning: (m) => quiet.push(m) });
      withSteps.applyGradients(gradients(vars));
      expect(quiet).to.deep.equal([]);
      expect(withSteps.currentLearningRate).to.equal(0.25);
      const presetQuiet: string[] = [];
      const timm = new TfjsLARSOptimizer(presets.timm({ lr: 0.1 }), { onWarning: (m) => presetQuiet.push(m) });
      timm.applyGradients(gradients(vars));
      expect(presetQuiet).to.deep.equal([]);
      for (const o of [opt, withSteps, timm]) o.dispose();
      tf.dispose(vars);
    });

    it('warns once when training runs past the end of a decaying schedule', () => {
      const warnings: string[] = [];
      const vars = variables();
      const opt = new TfjsLARSOptimizer({ initialLearningRate: 0.5, warmupEpochs: 0, maxIterations: 1, stepsPerEpoch: 2 }, { onWarning: (m) => warnings.push(m) });
      for (let s = 0; s < 2; s++) opt.applyGradients(gradients(vars));
      expect(warnings).to.deep.equal([]);
      for (let s = 0; s < 3; s++) opt.applyGradients(gradients(vars));
      expect(warnings).to.have.length(1);
      expect(warnings[0]).to.match(/'polynomial' schedule ended at step 2 .*from step 3 on the rate rests at minLearningRate 0.*maxIterations/);
      opt.dispose();
      tf.dispose(vars);
    });

    it('LARSScheduleCallback reads steps per epoch from fit (⌈samples / batch⌉) and warmup follows them', async () => {
      const model = tfl.sequential({ layers: [tfl.layers.dense({ units: 2, inputShape: [3] })] });
      const warnings: string[] = [];
      const opt = new TfjsLARSOptimizer({ initialLearningRate: 0.4, warmupEpochs: 2, maxIterations: 3 }, { onWarning: (m) => warnings.push(m) });
      model.compile({ optimizer: opt, loss: 'meanSquaredError' });
      const rates: number[] = [];
      await model.fit(tf.ones([10, 3]), tf.zeros([10, 2]), {
        epochs: 1,
        batchSize: 4,
        verbose: 0,
        callbacks: [new LARSScheduleCallback(opt), new (class extends tfl.Callback {
          override async onBatchBegin(): Promise<void> {
            rates.push(opt.currentLearningRate);
          }
        })()],
      });
      expect(opt.stepsPerEpoch).to.equal(3);
      expect(opt.iterations).to.equal(3);
      expect(rates).to.deep.equal([0.4 / 6, (0.4 * 2) / 6, (0.4 * 3) / 6]);
      expect(warnings).to.deep.equal([]);
      model.dispose();
      opt.dispose();
    });

    it('minimize() with a varList steps only those variables, and iterations advance', () => {
      const vars = variables();
      const opt = new TfjsLARSOptimizer(CONSTANT);
      const biasBefore = Array.from(vars[1].dataSync());
      const kernelBefore = Array.from(vars[0].dataSync());
      for (let s = 0; s < 2; s++) {
        opt.minimize(() => tf.sum(tf.square(tf.add(tf.sum(vars[0], 0), vars[1]))) as tf.Scalar, false, [vars[0]]);
      }
      expect(opt.iterations).to.equal(2);
      expect(Array.from(vars[1].dataSync())).to.deep.equal(biasBefore);
      expect(Array.from(vars[0].dataSync())).not.to.deep.equal(kernelBefore);
      opt.dispose();
      tf.dispose(vars);
    });

    it('dispose() frees the momentum variables, and every method then throws', async () => {
      const vars = variables();
      const opt = new TfjsLARSOptimizer(CONSTANT);
      const grads = gradients(vars);
      const before = tf.memory().numTensors;
      opt.applyGradients(grads);
      opt.applyGradients(grads);
      expect(tf.memory().numTensors - before).to.equal(2); // the two momentum buffers, nothing else kept
      opt.dispose();
      expect(tf.memory().numTensors).to.equal(before);
      expect(() => opt.applyGradients(grads)).to.throw(/disposed/);
      expect(() => opt.getConfig()).to.throw(/disposed/);
      let error: unknown;
      await opt.getWeights().catch((e) => (error = e));
      expect(String(error)).to.match(/disposed/);
      tf.dispose([...vars, ...grads.map((g) => g.tensor)]);
    });
  });
}
