import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { TfjsLARSOptimizer } from '../src/tfjs/index.js';
import { summarize } from './harness.js';
import type { BenchSuite } from './suites.js';

/** Rounds: each contender runs its steps once per round, in turn, so load changes hit all alike. */
const ROUNDS = 7;
/** Timed steps per contender per round. */
const STEPS_PER_ROUND = 5;
/** Examples per training step in the full-step rows. */
const BATCH = 64;

/** One model of the table: its layers and a name. */
interface BenchModel {
  readonly name: string;
  build(): tfl.Sequential;
}

const MODELS: BenchModel[] = [
  {
    name: 'MLP 784-512-256-10 (6 variables, 535k params)',
    build: () =>
      tfl.sequential({
        layers: [
          tfl.layers.dense({ inputShape: [784], units: 512, activation: 'relu' }),
          tfl.layers.dense({ units: 256, activation: 'relu' }),
          tfl.layers.dense({ units: 10, activation: 'softmax' }),
        ],
      }),
  },
  {
    name: 'deep MLP 32 × dense 128 (66 variables, 0.54M params)',
    build: () => {
      const layers: tfl.layers.Layer[] = [tfl.layers.dense({ inputShape: [784], units: 128, activation: 'relu' })];
      for (let i = 0; i < 31; i++) layers.push(tfl.layers.dense({ units: 128, activation: 'relu' }));
      layers.push(tfl.layers.dense({ units: 10, activation: 'softmax' }));
      return tfl.sequential({ layers });
    },
  },
];

/** An optimizer under test: a fresh one per model. */
interface Contender {
  readonly name: string;
  make(): tf.Optimizer;
}

const CONTENDERS: Contender[] = [
  { name: 'tf.train.momentum(0.1, 0.9)', make: () => tf.train.momentum(0.1, 0.9) },
  {
    name: 'TfjsLARSOptimizer (paper rule, momentum 0.9, wd 1e-4)',
    make: () => new TfjsLARSOptimizer({ initialLearningRate: 0.1, warmupEpochs: 0, learningRateSchedule: 'constant' }),
  },
  {
    name: 'TfjsLARSOptimizer (timm preset, trust_clip)',
    make: () =>
      new TfjsLARSOptimizer({
        initialLearningRate: 0.1,
        warmupEpochs: 0,
        learningRateSchedule: 'constant',
        excludeBiasFromLARS: false,
        rule: { useTrustRatio: true, adaptWhen: 'whenWeightDecayNonZero', zeroNormFallback: 'unitRatio', trustClip: true, momentumConvention: 'torch' },
      }),
  },
];

/**
 * The LARS adapter's step against tfjs' own momentum optimizer on the same
 * model and tfjs backend: (1) `applyGradients` alone, on gradients computed
 * once (wasm and cpu), and (2) a whole training step (`minimize`: forward,
 * backward and update) on a batch of 64 (wasm only; the cpu backend's
 * matmuls would take minutes). Contenders take turns over
 * {@link ROUNDS} rounds; the ratio divides each median by the momentum
 * optimizer's.
 */
async function run(): Promise<void> {
  tf.env().set('PROD', true);
  setWasmPaths(path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm')) + path.sep);
  console.log(`${ROUNDS} interleaved rounds × ${STEPS_PER_ROUND} steps per row; node ${process.version}\n`);
  console.log('| tfjs backend | model | what is timed | optimizer | median ms/step | spread (min–max) | × momentum |');
  console.log('|---|---|---|---|---|---|---|');
  for (const backend of ['wasm', 'cpu']) {
    if (!(await tf.setBackend(backend))) {
      console.log(`| ${backend} | (backend unavailable) | | | | | |`);
      continue;
    }
    for (const spec of MODELS) {
      const model = spec.build();
      const x = tf.randomNormal([BATCH, 784], 0, 1, 'float32', 1);
      const y = tf.oneHot(tf.randomUniform([BATCH], 0, 10, 'int32', 2), 10);
      const loss = () => tf.losses.softmaxCrossEntropy(y, model.apply(x) as tf.Tensor) as tf.Scalar;
      const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
      const { grads } = tf.variableGrads(loss, variables);
      const initial = variables.map((v) => tf.clone(v));
      const optimizers = CONTENDERS.map((c) => c.make());
      const kinds: [string, (o: tf.Optimizer) => void][] = [['applyGradients', (o) => o.applyGradients(grads)]];
      if (backend === 'wasm') kinds.push([`train step (batch ${BATCH})`, (o) => o.minimize(loss, false, variables)]);
      for (const [what, step] of kinds) {
        const samples: number[][] = CONTENDERS.map(() => []);
        for (let round = 0; round < ROUNDS + 1; round++) {
          optimizers.forEach((o, i) => {
            variables.forEach((v, j) => v.assign(initial[j]));
            for (let s = 0; s < STEPS_PER_ROUND; s++) {
              const t0 = performance.now();
              step(o); // synchronous on the cpu and wasm backends: the work is done when it returns
              if (round > 0) samples[i].push(performance.now() - t0); // round 0 warms up
            }
          });
        }
        const base = summarize(samples[0]).medianMs;
        CONTENDERS.forEach((c, i) => {
          const t = summarize(samples[i]);
          console.log(
            `| ${backend} | ${spec.name} | ${what} | ${c.name} | ${t.medianMs.toFixed(2)} | ${t.minMs.toFixed(2)}–${t.maxMs.toFixed(2)} | ${(t.medianMs / base).toFixed(2)} |`,
          );
        });
      }
      for (const o of optimizers) o.dispose();
      tf.dispose([x, y, ...Object.values(grads), ...initial]);
      model.dispose();
    }
  }
}

/** The tfjs adapter's step time against tfjs' momentum optimizer. */
export const tfjsStepSuite: BenchSuite = { name: 'tfjs-step', run };
