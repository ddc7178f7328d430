import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { OptimizerInputError } from '../../src/core/OptimizerInputError.js';
import type { LARSOptimizerOptionsInput } from '../../src/options/LARSOptimizerOptions.js';
import {
  LARSScheduleCallback,
  MOMENTUM_SUFFIX,
  TFJS_LARS_CLASS_NAME,
  TfjsLARSOptimizer,
  type NamedTensor,
  type TfjsLARSSetup,
} from '../../src/tfjs/index.js';
import { uniform } from '../support/random.js';
import { TFJS_BACKENDS, useTfjsBackend } from './support/tfjsBackends.js';

const OPTIONS: LARSOptimizerOptionsInput = {
  initialLearningRate: 0.5,
  trustCoefficient: 0.02,
  warmupEpochs: 1,
  learningRateSchedule: 'polynomial',
  maxIterations: 4,
  percentileClipping: 50,
};
const SETUP: TfjsLARSSetup = { skipLayerNames: ['hidden_layer/kernel'] };

function randomValues(n: number, seed: number, scale = 1): number[] {
  const rnd = uniform(seed);
  return Array.from({ length: n }, () => (rnd() * 2 - 1) * scale);
}

function buildModel(): tfl.Sequential {
  const model = tfl.sequential();
  model.add(tfl.layers.dense({ name: 'hidden_layer', units: 6, inputShape: [4], activation: 'tanh' }));
  model.add(tfl.layers.dense({ name: 'out_layer', units: 3, activation: 'softmax' }));
  return model;
}

function bitsOf(tensors: readonly tf.Tensor[]): number[][] {
  return tensors.map((t) => Array.from(new Uint32Array(Float32Array.from(t.dataSync()).buffer)));
}

async function saveToMemory(model: tfl.LayersModel): Promise<tf.io.ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | null = null;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
    { includeOptimizer: true },
  );
  return saved!;
}

describe('tfjs adapter: registration and config', () => {
  before(async () => useTfjsBackend('cpu'));

  it('registers itself with tf.serialization under a fixed class name', () => {
    const entry = tf.serialization.SerializationMap.getMap().classNameMap[TFJS_LARS_CLASS_NAME];
    expect(entry?.[0]).to.equal(TfjsLARSOptimizer);
    expect(new TfjsLARSOptimizer().getClassName()).to.equal(TFJS_LARS_CLASS_NAME);
    // tfjs-core's duck-typed Optimizer instanceof must not make every optimizer a TfjsLARSOptimizer.
    expect(tf.train.momentum(0.1, 0.9)).not.to.be.instanceOf(TfjsLARSOptimizer);
    expect(new TfjsLARSOptimizer()).to.be.instanceOf(TfjsLARSOptimizer);
    expect(new TfjsLARSOptimizer()).to.be.instanceOf(tf.Optimizer);
  });

  it('getConfig/fromConfig round-trip the options and the name-based skips (underscores included)', () => {
    for (const skipLayerNames of [['hidden_layer/kernel', 'a%5Fb_c'], /^conv_\d+\/kernel$/gi, null]) {
      const a = new TfjsLARSOptimizer({ ...OPTIONS, momentum: 0.8, useNesterov: true, rule: { ...OPTIONS_RULE } }, { skipLayerNames });
      const config = a.getConfig();
      // What tfjs-layers does to a saved training config: snake_case strings become camelCase.
      expect(JSON.stringify(config)).not.to.contain('_');
      const b = TfjsLARSOptimizer.fromConfig(TfjsLARSOptimizer, JSON.parse(JSON.stringify(config))) as TfjsLARSOptimizer;
      expect(b.options.toJSON()).to.deep.equal(a.options.toJSON());
      if (skipLayerNames instanceof RegExp) {
        expect(b.skipLayerNames).to.be.instanceOf(RegExp);
        expect(String(b.skipLayerNames)).to.equal(String(skipLayerNames));
      } else {
        expect(b.skipLayerNames).to.deep.equal(skipLayerNames);
      }
    }
  });
});

const OPTIONS_RULE = { useTrustRatio: true, adaptWhen: 'always', zeroNormFallback: 'plainGradient', trustClip: true, momentumConvention: 'torch' } as const;

for (const backend of TFJS_BACKENDS) {
  describe(`tfjs adapter save and load (tfjs ${backend} backend): continuation is bit-exact`, function () {
    this.timeout(60_000);
    before(async () => useTfjsBackend(backend));

    const x = () => tf.tensor2d(randomValues(20 * 4, 3), [20, 4]);
    const y = () => tf.oneHot(tf.tensor1d(randomValues(20, 4).map((v) => (v > 0.3 ? 2 : v > -0.3 ? 1 : 0)), 'int32'), 3);
    const fitArgs = (optimizer: TfjsLARSOptimizer, epochs: number) => ({
      epochs,
      batchSize: 8,
      shuffle: false,
      verbose: 0 as const,
      callbacks: [new LARSScheduleCallback(optimizer)],
    });

    const variants: [string, LARSOptimizerOptionsInput, TfjsLARSSetup, boolean][] = [
      ['with LARSScheduleCallback (steps per epoch from fit, names from the model)', OPTIONS, SETUP, true],
      ['without a callback (stepsPerEpoch in the options, loaded momentum claimed by the `_N`-suffixed names)', { ...OPTIONS, stepsPerEpoch: 3 }, SETUP, false],
    ];
    for (const [label, options, setup, withCallback] of variants) {
      it(`model.save({ includeOptimizer: true }) + tf.loadLayersModel continues exactly as an uninterrupted run, ${label}`, async () => {
        const xs = x();
        const ys = y();
        const args = (optimizer: TfjsLARSOptimizer, epochs: number) => {
          const a = fitArgs(optimizer, epochs);
          return withCallback ? a : { ...a, callbacks: [] };
        };
        const a = buildModel();
        const c = buildModel();
        c.setWeights(a.getWeights());
        const optA = new TfjsLARSOptimizer(options, setup);
        const optC = new TfjsLARSOptimizer(options, setup);
        a.compile({ optimizer: optA, loss: 'categoricalCrossentropy' });
        c.compile({ optimizer: optC, loss: 'categoricalCrossentropy' });

        await a.fit(xs, ys, args(optA, 2));
        expect(optA.iterations).to.equal(6);
        expect(optA.stepsPerEpoch).to.equal(3);
        const artifacts = await saveToMemory(a);
        const b = await tfl.loadLayersModel(tf.io.fromMemory(artifacts));
        const optB = b.optimizer as TfjsLARSOptimizer;
        expect(optB).to.be.instanceOf(TfjsLARSOptimizer);
        expect(optB.iterations).to.equal(6);
        expect(optB.stepsPerEpoch).to.equal(3);
        expect(optB.options.toJSON()).to.deep.equal(optA.options.toJSON());
        expect(String(optB.skipLayerNames)).to.equal(String(setup.skipLayerNames));
        // The loaded model's variables carry a `_N` suffix (models a and c still exist); momentum is matched by name anyway.
        expect(b.trainableWeights.map((w) => w.name)).to.satisfy((names: string[]) => names.some((n) => /^hidden_layer\/kernel_\d+$/.test(n)));

        await b.fit(xs, ys, args(optB, 2));
        await c.fit(xs, ys, args(optC, 4));
        expect(optB.iterations).to.equal(12);
        expect(bitsOf(b.getWeights())).to.deep.equal(bitsOf(c.getWeights()));

        // Control: the same reload without the optimizer's state does not match.
        const d = await tfl.loadLayersModel(tf.io.fromMemory(artifacts));
        const fresh = new TfjsLARSOptimizer(options, setup);
        d.compile({ optimizer: fresh, loss: 'categoricalCrossentropy' });
        await d.fit(xs, ys, args(fresh, 2));
        expect(bitsOf(d.getWeights())).not.to.deep.equal(bitsOf(c.getWeights()));

        for (const m of [a, b, c, d]) m.dispose();
        for (const o of [optA, optB, optC, fresh]) o.dispose();
        tf.dispose([xs, ys]);
      });
    }

    it('getWeights/setWeights carry iterations and momentum by name, in any order', async () => {
      const init = [randomValues(12, 5, 0.5), randomValues(4, 6, 0.5)];
      const shapes = [[3, 4], [4]];
      const grads = Array.from({ length: 6 }, (_, s) => [randomValues(12, 10 + s, 0.2), randomValues(4, 20 + s, 0.2)]);
      const options = { ...OPTIONS, stepsPerEpoch: 2 };
      const make = (tag: string) => init.map((v, i) => tf.variable(tf.tensor(v, shapes[i]), true, `${backend}/ww/${tag}/${i}`));
      const step = (opt: TfjsLARSOptimizer, vars: tf.Variable[], s: number) => {
        const list = vars.map((v, i) => ({ name: v.name, tensor: tf.tensor(grads[s][i], shapes[i]) }));
        opt.applyGradients(list);
        tf.dispose(list.map((g) => g.tensor));
      };
      const straight = make('straight');
      const optS = new TfjsLARSOptimizer(options);
      for (let s = 0; s < 6; s++) step(optS, straight, s);

      const first = make('first');
      const opt1 = new TfjsLARSOptimizer(options);
      for (let s = 0; s < 3; s++) step(opt1, first, s);
      const weights = await opt1.getWeights();
      expect(weights[0].name).to.equal('iter');
      expect(weights.map((w) => w.name)).to.include(`${first[0].name}${MOMENTUM_SUFFIX}`);
      // Continue on other variables that hold the same values under the same names: reversed order of entries.
      const copied = weights.map((w) => ({ name: w.name, tensor: tf.clone(w.tensor) }));
      const reordered: NamedTensor[] = [copied[0], ...copied.slice(1).reverse()];
      const opt2 = new TfjsLARSOptimizer(options);
      await opt2.setWeights(reordered);
      expect(opt2.iterations).to.equal(3);
      for (let s = 3; s < 6; s++) step(opt2, first, s);
      expect(bitsOf(first)).to.deep.equal(bitsOf(straight));
      for (const o of [optS, opt1, opt2]) o.dispose();
      tf.dispose([...straight, ...first, ...copied.map((c) => c.tensor)]);
    });
  });
}

describe('tfjs adapter setWeights refuses bad state and changes nothing', () => {
  before(async () => useTfjsBackend('cpu'));

  const cases: [string, (weights: NamedTensor[]) => NamedTensor[], TfjsLARSSetup['skipLayerNames']?, LARSOptimizerOptionsInput?][] = [
    ['NaN in a momentum buffer', (w) => w.map((x, i) => (i === 1 ? { ...x, tensor: tf.fill(x.tensor.shape, NaN) } : x))],
    ['a negative iteration count', (w) => [{ name: 'iter', tensor: tf.scalar(-1, 'int32') }, ...w.slice(1)]],
    ['an unknown weight name', (w) => [...w, { name: 'something/else', tensor: tf.zeros([2]) }]],
    ['an empty list', () => []],
    ['momentum for an optimizer with momentum 0', (w) => w, undefined, { momentum: 0 }],
  ];
  for (const [name, corrupt, , options] of cases) {
    it(name, async () => {
      const v = tf.variable(tf.tensor1d([0.5, -0.25]), true, `bad-state/${name.replace(/[^a-z]/gi, '')}`);
      const source = new TfjsLARSOptimizer({ warmupEpochs: 0, learningRateSchedule: 'constant' });
      source.applyGradients([{ name: v.name, tensor: tf.tensor1d([0.1, 0.2]) }]);
      const target = new TfjsLARSOptimizer({ warmupEpochs: 0, learningRateSchedule: 'constant', ...options });
      target.applyGradients([{ name: v.name, tensor: tf.tensor1d([0.3, 0.1]) }]);
      target.applyGradients([{ name: v.name, tensor: tf.tensor1d([0.3, 0.1]) }]);
      const before = (await target.getWeights()).map((w) => [w.name, Array.from(w.tensor.dataSync())]);
      let error: unknown;
      try {
        await target.setWeights(corrupt(await source.getWeights()));
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(OptimizerInputError);
      expect((error as OptimizerInputError).code).to.equal('invalid-state');
      const after = (await target.getWeights()).map((w) => [w.name, Array.from(w.tensor.dataSync())]);
      expect(after).to.deep.equal(before);
      expect(target.iterations).to.equal(2);
      source.dispose();
      target.dispose();
      v.dispose();
    });
  }
});
