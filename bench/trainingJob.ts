import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDigits, PIXELS, type DigitSplit } from '../examples/mnist/loadDigits.js';
import { buildOptimizer, defaultLearningRate, runOptimizer, type RunSettings } from '../examples/mnist/runOptimizer.js';
import { type Matrix } from '../src/index.js';
import { summarize, type TimingSummary } from './harness.js';
import type { BenchSuite } from './suites.js';

/** Rounds of the whole job: each round runs every contender once, in turn. */
const ROUNDS = 3;
/** Epochs per tfjs round (its per-epoch time is the figure; the whole job would take minutes). */
const TFJS_EPOCHS = 3;
/** Epochs per round of lars-ts on its JS loops (per-epoch figure only, for the before/after). */
const JS_EPOCHS = 3;
const PYTHON = '/usr/bin/python3';
const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'python', 'mnist_lars.py');

/** The job of `npm start`: 784-128-10, batch 4096, 100 epochs, LARS with the example's options, seed 1. */
const JOB: RunSettings = { optimizer: 'lars', batchSize: 4096, epochs: 100, lr: null, seed: 1, backend: 'cpu', hidden: [128] };

/** One job's time and what it reached. */
interface JobRun {
  readonly seconds: number;
  readonly epochMs: readonly number[];
  readonly testAccuracy: number;
}

/** Class of each row of one-hot targets. */
function labels(y: Matrix<'float32'>): Uint8Array {
  const out = new Uint8Array(y.rows);
  for (let i = 0; i < y.rows; i++) {
    let best = 0;
    for (let j = 1; j < y.cols; j++) if (y.data[i * y.cols + j] > y.data[i * y.cols + best]) best = j;
    out[i] = best;
  }
  return out;
}

/**
 * Writes the digits (the example's split) and the initial weights of the
 * example's model for bench/python/mnist_lars.py: a header of six int32
 * (train rows, test rows, pixels, hidden, classes, seed), then float32 train
 * pixels, uint8 train labels, float32 test pixels, uint8 test labels, and the
 * float32 parameters in the model's layout order.
 */
export function exportForPython(path: string, data: DigitSplit): void {
  const optimizer = buildOptimizer(JOB);
  const params = optimizer.model!.getParameters().data as Float32Array;
  optimizer.dispose();
  const header = new Int32Array([data.train.x.rows, data.test.x.rows, PIXELS, JOB.hidden[0], 10, JOB.seed]);
  const parts = [header, data.train.x.data, labels(data.train.y), data.test.x.data, labels(data.test.y), params];
  writeFileSync(path, Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength))));
}

/** Why PyTorch cannot run here, or null when it can. */
function pythonProblem(): string | null {
  const probe = spawnSync(PYTHON, ['-c', 'import torch, numpy; print(torch.__version__)'], { encoding: 'utf8' });
  if (probe.error !== undefined) return `${PYTHON} did not start (${probe.error.message})`;
  if (probe.status !== 0) return `${PYTHON} has no torch/numpy (${probe.stderr.trim().split('\n').pop()})`;
  return null;
}

function runPython(dataPath: string, threads: number): JobRun & { torch: string } {
  const args = [SCRIPT, dataPath, String(threads), String(JOB.epochs), String(JOB.batchSize), String(defaultLearningRate('lars', JOB.batchSize)), '5'];
  const run = spawnSync(PYTHON, args, { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: String(threads) } });
  if (run.status !== 0) throw new Error(`PyTorch run failed: ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').pop()!) as JobRun & { torch: string };
}

async function runLarsTs(data: DigitSplit, epochs: number, kernels: 'auto' | 'js', threads = 1): Promise<JobRun> {
  const t0 = performance.now();
  const record = await runOptimizer({ ...JOB, epochs, threads }, data, {}, kernels);
  return {
    seconds: (performance.now() - t0) / 1000,
    epochMs: record.result.history.map((e) => e.milliseconds),
    testAccuracy: record.finalTestAccuracy,
  };
}

/** Per-epoch times of tfjs-layers on tfjs-backend-wasm, same model, data and batch (momentum SGD: tfjs has no LARS). */
async function tfjsEpochs(data: DigitSplit): Promise<number[]> {
  const tf = await import('@tensorflow/tfjs-core');
  const tfl = await import('@tensorflow/tfjs-layers');
  await import('@tensorflow/tfjs-backend-wasm');
  await tf.setBackend('wasm');
  await tf.ready();
  const model = tfl.sequential({
    layers: [tfl.layers.dense({ inputShape: [PIXELS], units: JOB.hidden[0], activation: 'relu' }), tfl.layers.dense({ units: 10 })],
  });
  model.compile({ optimizer: tf.train.momentum(0.1, 0.9), loss: (y: import('@tensorflow/tfjs-core').Tensor, p: import('@tensorflow/tfjs-core').Tensor) => tf.losses.softmaxCrossEntropy(y, p) });
  const x = tf.tensor2d(data.train.x.data, [data.train.x.rows, PIXELS]);
  const y = tf.tensor2d(data.train.y.data, [data.train.y.rows, 10]);
  const xt = tf.tensor2d(data.test.x.data, [data.test.x.rows, PIXELS]);
  const times: number[] = [];
  for (let e = 0; e < TFJS_EPOCHS; e++) {
    const t0 = performance.now();
    await model.fit(x, y, { batchSize: JOB.batchSize, epochs: 1, shuffle: true, verbose: 0 });
    const logits = model.predict(xt) as import('@tensorflow/tfjs-core').Tensor;
    const classes = tf.argMax(logits, 1);
    await classes.data();
    tf.dispose([logits, classes]);
    times.push(performance.now() - t0);
  }
  tf.dispose([x, y, xt]);
  model.dispose();
  return times;
}

const fmt = (s: TimingSummary, unit: string, digits = 2): string =>
  `${s.medianMs.toFixed(digits)} ${unit} | ${s.minMs.toFixed(digits)}–${s.maxMs.toFixed(digits)}`;

/**
 * The main job (`npm start`) in lars-ts (its dense products on 1 and on 2
 * threads) against PyTorch (same model, data,
 * initial weights, batch, epochs and LARS, 1 and 2 threads) and per epoch
 * against tfjs-layers on tfjs-backend-wasm, in interleaved rounds.
 */
async function run(): Promise<void> {
  const data = loadDigits(JOB.seed);
  const problem = pythonProblem();
  const dir = mkdtempSync(join(tmpdir(), 'lars-ts-bench-'));
  const dataPath = join(dir, 'digits.bin');
  if (problem === null) exportForPython(dataPath, data);
  else console.log(`PyTorch anchor skipped: ${problem}`);
  console.log(`${ROUNDS} interleaved rounds; node ${process.version}; load average at start ${(await import('node:os')).loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
  const ours: JobRun[] = [];
  const ours2: JobRun[] = [];
  const jsLoops: number[] = [];
  const torch = new Map<number, JobRun[]>([[1, []], [2, []]]);
  const tfjs: number[] = [];
  let torchVersion = '';
  try {
    for (let round = 0; round < ROUNDS; round++) {
      ours.push(await runLarsTs(data, JOB.epochs, 'auto'));
      ours2.push(await runLarsTs(data, JOB.epochs, 'auto', 2));
      if (problem === null) {
        for (const threads of [1, 2]) {
          const r = runPython(dataPath, threads);
          torchVersion = r.torch;
          torch.get(threads)!.push(r);
        }
      }
      tfjs.push(...(await tfjsEpochs(data)).slice(1));
      jsLoops.push(...(await runLarsTs(data, JS_EPOCHS, 'js')).epochMs.slice(1));
      console.log(`round ${round + 1}/${ROUNDS} done`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const job = summarize(ours.map((r) => r.seconds * 1000));
  const job2 = summarize(ours2.map((r) => r.seconds * 1000));
  const ourEpoch = summarize(ours.flatMap((r) => r.epochMs.slice(1)));
  const torchJobs = [...torch].filter(([, runs]) => runs.length > 0).map(([threads, runs]) => ({ threads, runs, s: summarize(runs.map((r) => r.seconds * 1000)) }));
  const anchor = torchJobs.length === 0 ? null : torchJobs.reduce((a, b) => (b.s.medianMs < a.s.medianMs ? b : a));
  const accuracy = (runs: JobRun[]): string => `${(100 * Math.min(...runs.map((r) => r.testAccuracy))).toFixed(2)}–${(100 * Math.max(...runs.map((r) => r.testAccuracy))).toFixed(2)}%`;
  console.log('\n| work | median | spread (min–max) | test acc. | × anchor | anchor |');
  console.log('|---|---|---|---|---|---|');
  const anchorText = anchor === null ? 'PyTorch skipped' : `PyTorch ${torchVersion} CPU, ${anchor.threads} thread(s): ${(anchor.s.medianMs / 1000).toFixed(2)} s`;
  const seconds = (s: TimingSummary): TimingSummary => ({ ...s, medianMs: s.medianMs / 1000, minMs: s.minMs / 1000, maxMs: s.maxMs / 1000 });
  console.log(`| lars-ts main job (100 epochs, WASM SIMD kernels) | ${fmt(seconds(job), 's')} | ${accuracy(ours)} | ${anchor === null ? '–' : (job.medianMs / anchor.s.medianMs).toFixed(2)} | ${anchorText} |`);
  console.log(`| lars-ts main job, 2 threads (dense products on 2 threads) | ${fmt(seconds(job2), 's')} | ${accuracy(ours2)} | ${anchor === null ? '–' : (job2.medianMs / anchor.s.medianMs).toFixed(2)} | ${anchorText} |`);
  for (const t of torchJobs) {
    console.log(`| PyTorch ${torchVersion}, ${t.threads} thread(s), same job (bench/python/mnist_lars.py) | ${fmt(seconds(t.s), 's')} | ${accuracy(t.runs)} | ${(t.s.medianMs / anchor!.s.medianMs).toFixed(2)} | ${anchorText} |`);
  }
  const tfjsEpoch = summarize(tfjs);
  const jsEpoch = summarize(jsLoops);
  console.log(`| lars-ts per epoch (WASM SIMD kernels) | ${fmt(ourEpoch, 'ms', 0)} | | 1.00 | itself |`);
  console.log(`| tfjs-layers 4.22 on tfjs-backend-wasm per epoch (momentum SGD, ${TFJS_EPOCHS - 1} epochs/round after 1 warm-up) | ${fmt(tfjsEpoch, 'ms', 0)} | | ${(tfjsEpoch.medianMs / ourEpoch.medianMs).toFixed(2)} | lars-ts per epoch ${ourEpoch.medianMs.toFixed(0)} ms |`);
  console.log(`| lars-ts per epoch on its JS loops (kernels: 'js', ${JS_EPOCHS - 1} epochs/round after 1) | ${fmt(jsEpoch, 'ms', 0)} | | ${(jsEpoch.medianMs / ourEpoch.medianMs).toFixed(2)} | lars-ts per epoch ${ourEpoch.medianMs.toFixed(0)} ms |`);
  console.log(`\nload average at the end: ${(await import('node:os')).loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log('The job time is the wall time of optimize() plus the final test evaluation (data loading and build excluded);');
  console.log('PyTorch times its training loop with per-epoch test accuracy, from the same digits and initial weights.');
}

/** The main-job suite: `npm run bench -- trainingJob`. */
export const trainingJobSuite: BenchSuite = { name: 'trainingJob', run };
