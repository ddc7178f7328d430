import { LARSOptimizer, presets, Vector, type NumericType } from '../src/index.js';
import { CpuBackend } from '../src/backends/js/CpuBackend.js';
import { WasmBackend } from '../src/backends/wasm/WasmBackend.js';
import { type OptimizerBackend } from '../src/core/OptimizerBackend.js';
import { bytesPerElement } from '../src/numeric/NumericType.js';
import { buildCReference, C_FLAGS, C_FLAGS_CONTRACTED, runCReference, type CPassOrder } from './cReference.js';
import { fillRandom, sampleRuns, summarize } from './harness.js';
import { resnet50LikeLayout } from './resnet50Layout.js';
import type { BenchSuite } from './suites.js';

/** Rounds per size and type: every implementation runs once per round, in turn, so a load change on the machine hits all of them alike. */
const ROUNDS = 5;

/** One implementation under test: takes `runs` timed steps (after its own warm-up) and returns their times in ms. */
interface Contender {
  readonly name: string;
  /** Whether the ratio column divides by this one's median (the strict C loop). */
  readonly reference?: boolean;
  sample(runs: number): Promise<number[]>;
  dispose(): void;
}

/**
 * One LARS step (timm rule, momentum 0.9) on the CPU, for 1M and 25M
 * parameters in ResNet-50-like layers, float32 and float64: the WebAssembly
 * backend with its own vectors (zero-copy) and with ordinary vectors (copied
 * in and out every step, on 1 and 2 threads), the zero-copy case on 2 threads (calling thread +
 * 1 worker, {@link WasmBackend.createThreaded}; also with the update written in
 * place without the worker's backup of each chunk), the plain JS backend, and the
 * C reference loop on one thread: strict IEEE with both passes of each layer
 * back to back (the reference of the ratio column), the same with the norm
 * pass over every layer first (the order lars-ts keeps, so that bad input
 * changes nothing), and gcc's default FMA contraction for comparison.
 *
 * The implementations take turns over {@link ROUNDS} rounds and the medians
 * pool every round, so the ratio to C compares samples taken side by side.
 * GB/s counts the bytes a two-pass step must move: pass 1 reads w and g,
 * pass 2 reads w, g, buf and writes w, buf, so 7 elements per parameter.
 */
async function run(): Promise<void> {
  const strict = buildCReference(C_FLAGS);
  const contracted = buildCReference(C_FLAGS_CONTRACTED);
  if ('reason' in strict) console.log(`(no C reference: ${strict.reason})`);
  else console.log(`C reference: gcc ${C_FLAGS.join(' ')} bench/c/larsStep.c (and gcc ${C_FLAGS_CONTRACTED.join(' ')})`);
  console.log(`${ROUNDS} interleaved rounds per row; node ${process.version}\n`);
  console.log('| implementation | params | dtype | median ms/step | spread (min–max) | GB/s | × C |');
  console.log('|---|---|---|---|---|---|---|');
  for (const n of [1_000_000, 25_000_000]) {
    const layout = resnet50LikeLayout(n);
    const perRound = n > 5_000_000 ? 5 : 11;
    for (const dtype of ['float32', 'float64'] as NumericType[]) {
      const contenders: Contender[] = [];
      const sizes = layout.map((t) => t.size);
      if ('path' in strict) contenders.push(cContender('C loop (1 thread, strict IEEE)', strict.path, dtype, sizes, true));
      if ('path' in strict) contenders.push(cContender('C loop (1 thread, strict, two passes)', strict.path, dtype, sizes, false, 'two-pass'));
      if ('path' in contracted) contenders.push(cContender('C loop (1 thread, FMA contraction)', contracted.path, dtype, sizes, false));
      contenders.push(stepContender('WASM SIMD, zero-copy', WasmBackend.create()!, layout, n, dtype, true));
      const threaded = WasmBackend.createThreaded({ threads: 2 })!;
      if (threaded.threads === null || !(await threaded.threads.ready())) throw new Error('the worker thread did not start');
      contenders.push(stepContender('WASM SIMD, 2 threads, zero-copy', threaded, layout, n, dtype, true));
      // The same without the worker's backup of each update chunk (backUpChunks: false): what recovering from a stalled worker costs.
      const inPlace = WasmBackend.createThreaded({ threads: 2, backUpChunks: false })!;
      if (inPlace.threads === null || !(await inPlace.threads.ready())) throw new Error('the worker thread did not start');
      contenders.push(stepContender('WASM SIMD, 2 threads, zero-copy, no chunk backup', inPlace, layout, n, dtype, true));
      contenders.push(stepContender('WASM SIMD, copy in/out', WasmBackend.create()!, layout, n, dtype, false));
      const threadedCopies = WasmBackend.createThreaded({ threads: 2 })!;
      if (threadedCopies.threads === null || !(await threadedCopies.threads.ready())) throw new Error('the worker thread did not start');
      contenders.push(stepContender('WASM SIMD, 2 threads, copy in/out', threadedCopies, layout, n, dtype, false));
      contenders.push(stepContender('JS loops', new CpuBackend(), layout, n, dtype, false));
      const samples = contenders.map((): number[] => []);
      for (let round = 0; round < ROUNDS; round++) {
        for (const [i, c] of contenders.entries()) samples[i].push(...(await c.sample(c.name === 'JS loops' ? Math.min(perRound, 3) : perRound)));
      }
      contenders.forEach((c) => c.dispose());
      const summaries = samples.map(summarize);
      const ref = contenders.findIndex((c) => c.reference === true);
      const bytes = 7 * n * bytesPerElement(dtype);
      for (const [i, c] of contenders.entries()) {
        const t = summaries[i];
        const ratio = ref < 0 ? 'n/a' : (t.medianMs / summaries[ref].medianMs).toFixed(2);
        console.log(
          `| ${c.name} | ${n / 1e6}M | ${dtype} | ${t.medianMs.toFixed(2)} | ${t.minMs.toFixed(2)}–${t.maxMs.toFixed(2)} | ${(bytes / t.medianMs / 1e6).toFixed(1)} | ${ratio} |`,
        );
      }
    }
  }
}

/** The C loop as a contender: each round is one child process with 2 warm-up steps. */
function cContender(name: string, path: string, dtype: NumericType, sizes: number[], reference: boolean, order: CPassOrder = 'per-layer'): Contender {
  return {
    name,
    reference,
    sample: async (runs) => runCReference(path, dtype, sizes, runs, 2, order),
    dispose: () => undefined,
  };
}

/** `optimizer.step` on vectors from the optimizer (zero-copy) or ordinary ones; the optimizer lives across rounds. */
function stepContender(
  name: string,
  backend: OptimizerBackend,
  layout: ReturnType<typeof resnet50LikeLayout>,
  n: number,
  dtype: NumericType,
  own: boolean,
): Contender {
  const opt = new LARSOptimizer(null, presets.timm({ lr: 0.1, momentum: 0.9, weight_decay: 1e-4 }), { layout, backend });
  const w = own ? opt.allocateVector(n, dtype) : Vector.zeros(n, dtype);
  const g = own ? opt.allocateVector(n, dtype) : Vector.zeros(n, dtype);
  fillRandom(w.data, 1);
  fillRandom(g.data, 2, 0.01);
  return {
    name,
    sample: (runs) => sampleRuns(() => opt.step(w, g), runs, 1),
    dispose: () => opt.dispose(),
  };
}

/** The `cpu-step` suite. */
export const cpuStepSuite: BenchSuite = { name: 'cpu-step', run };
