import {
  bytesPerElement,
  CpuBackend,
  LARSOptimizer,
  presets,
  Vector,
  WasmBackend,
  type NumericType,
  type OptimizerBackend,
} from '../src/index.js';
import { buildCReference, C_FLAGS, runCReference } from './cReference.js';
import { fillRandom, timeRuns, type TimingSummary } from './harness.js';
import { resnet50LikeLayout } from './resnet50Layout.js';
import type { BenchSuite } from './suites.js';

/**
 * One LARS step (timm rule, momentum 0.9) on the CPU, for 1M and 25M
 * parameters in ResNet-50-like layers, float32 and float64: the WebAssembly
 * backend with its own vectors (zero-copy) and with ordinary vectors (copied
 * in and out every step), the same on 2 threads (calling thread + 1 worker,
 * {@link WasmBackend.createThreaded}), the plain JS backend, and the C
 * reference loop (one thread).
 * GB/s counts the bytes a two-pass step must move: pass 1 reads w and g,
 * pass 2 reads w, g, buf and writes w, buf, so 7 elements per parameter.
 */
async function run(): Promise<void> {
  const c = buildCReference();
  if ('reason' in c) console.log(`(no C reference: ${c.reason})`);
  else console.log(`C reference: gcc ${C_FLAGS.join(' ')} bench/c/larsStep.c`);
  console.log('\n| implementation | params | dtype | median ms/step | spread (min–max) | GB/s | × C |');
  console.log('|---|---|---|---|---|---|---|');
  for (const n of [1_000_000, 25_000_000]) {
    const layout = resnet50LikeLayout(n);
    const runs = n > 5_000_000 ? 11 : 31;
    for (const dtype of ['float32', 'float64'] as NumericType[]) {
      const bytes = 7 * n * bytesPerElement(dtype);
      const rows: [string, TimingSummary][] = [];
      const cTime = 'path' in c ? runCReference(c.path, dtype, layout.map((t) => t.size), runs, 2) : null;
      if (cTime !== null) rows.push(['C loop (1 thread)', cTime]);
      rows.push(['WASM SIMD, zero-copy', await timeStep(WasmBackend.create()!, layout, n, dtype, runs, true)]);
      rows.push(['WASM SIMD, 2 threads, zero-copy', await timeStep(WasmBackend.createThreaded({ threads: 2 })!, layout, n, dtype, runs, true)]);
      rows.push(['WASM SIMD, copy in/out', await timeStep(WasmBackend.create()!, layout, n, dtype, runs, false)]);
      rows.push(['JS loops', await timeStep(new CpuBackend(), layout, n, dtype, Math.min(runs, 11), false)]);
      for (const [name, t] of rows) {
        const ratio = cTime === null ? 'n/a' : (t.medianMs / cTime.medianMs).toFixed(2);
        console.log(
          `| ${name} | ${n / 1e6}M | ${dtype} | ${t.medianMs.toFixed(2)} | ${t.minMs.toFixed(2)}–${t.maxMs.toFixed(2)} | ${(bytes / t.medianMs / 1e6).toFixed(1)} | ${ratio} |`,
        );
      }
    }
  }
}

/** Median time of `optimizer.step` on vectors from the optimizer (zero-copy) or ordinary ones. */
async function timeStep(
  backend: OptimizerBackend,
  layout: ReturnType<typeof resnet50LikeLayout>,
  n: number,
  dtype: NumericType,
  runs: number,
  own: boolean,
): Promise<TimingSummary> {
  if (backend instanceof WasmBackend && backend.threads !== null && !(await backend.threads.ready())) {
    throw new Error('the worker thread did not start');
  }
  const opt = new LARSOptimizer(null, presets.timm({ lr: 0.1, momentum: 0.9, weight_decay: 1e-4 }), { layout, backend });
  const w = own ? opt.allocateVector(n, dtype) : Vector.zeros(n, dtype);
  const g = own ? opt.allocateVector(n, dtype) : Vector.zeros(n, dtype);
  fillRandom(w.data, 1);
  fillRandom(g.data, 2, 0.01);
  const t = await timeRuns(() => opt.step(w, g), runs, 2);
  opt.dispose();
  return t;
}

/** The `cpu-step` suite. */
export const cpuStepSuite: BenchSuite = { name: 'cpu-step', run };
