import { LARS32bit, LARS8bit, Vector, type LARSOptimizer, type OptimizerSetup } from '../src/index.js';
import { CpuBackend } from '../src/backends/js/CpuBackend.js';
import { WasmBackend } from '../src/backends/wasm/WasmBackend.js';
import { fillRandom, sampleRuns, summarize } from './harness.js';
import { resnet50LikeLayout } from './resnet50Layout.js';
import type { BenchSuite } from './suites.js';

/** Parameters in the benchmark's vector: ResNet-50 size. */
const PARAMETERS = 25_000_000;
/** Timed rounds; each times one step of every case in turn, so that load from elsewhere falls on all alike. */
const ROUNDS = 7;

/**
 * State size and step time of 8-bit against 32-bit momentum, float32,
 * ResNet-50's layer mix at 25M parameters: on the plain JS CPU backend with
 * ordinary vectors, and on the WebAssembly backend with vectors from
 * `opt.allocateVector` (zero-copy), on the calling thread and on 2 threads
 * (calling thread + 1 worker, `WasmBackend.createThreaded`). The cases are
 * timed in interleaved rounds.
 */
export const eightBitSuite: BenchSuite = {
  name: 'eightBit',
  async run(): Promise<void> {
    const layout = resnet50LikeLayout(PARAMETERS);
    const w0 = new Float32Array(PARAMETERS);
    const g = new Float32Array(PARAMETERS);
    fillRandom(w0, 1, 0.05);
    fillRandom(g, 2, 0.001);
    const kwargs = { lr: 0.1, momentum: 0.9, weight_decay: 1e-4 };
    const rows: string[] = [
      '| backend | state | state MiB | bytes/param | median step ms | min ms | max ms |',
      '|---|---|---:|---:|---:|---:|---:|',
    ];
    const js = (): OptimizerSetup => ({ backend: new CpuBackend() });
    const wasm = (): OptimizerSetup => ({ backend: WasmBackend.create()! });
    const threaded = async (): Promise<OptimizerSetup> => {
      const backend = WasmBackend.createThreaded({ threads: 2 })!;
      if (backend.threads === null || !(await backend.threads.ready())) throw new Error('the worker thread did not start');
      return { backend };
    };
    const cases: [string, string, () => Promise<LARSOptimizer>, boolean][] = [
      ['JS loops', '32-bit', async () => new LARS32bit(layout, kwargs, {}, js()), false],
      ['JS loops', '8-bit', async () => new LARS8bit(layout, kwargs, {}, js()), false],
      ['WASM, zero-copy', '32-bit', async () => new LARS32bit(layout, kwargs, {}, wasm()), true],
      ['WASM, zero-copy', '8-bit', async () => new LARS8bit(layout, kwargs, {}, wasm()), true],
      ['WASM, zero-copy, 2 threads', '32-bit', async () => new LARS32bit(layout, kwargs, {}, await threaded()), true],
      ['WASM, zero-copy, 2 threads', '8-bit', async () => new LARS8bit(layout, kwargs, {}, await threaded()), true],
    ];
    const runs: { label: string; opt: LARSOptimizer; step: () => void; times: number[] }[] = [];
    for (const [backend, state, make, own] of cases) {
      const opt = await make();
      const w = own ? opt.allocateVector(PARAMETERS, 'float32') : Vector.zeros(PARAMETERS, 'float32');
      const grad = own ? opt.allocateVector(PARAMETERS, 'float32') : Vector.zeros(PARAMETERS, 'float32');
      w.data.set(w0);
      grad.data.set(g);
      const step = () => opt.step(w, grad);
      // Two untimed steps: the first builds the state (and copies the code book in).
      await sampleRuns(step, 0, 2);
      runs.push({ label: `| ${backend} (${opt.backendName}) | ${state} |`, opt, step, times: [] });
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const r of runs) r.times.push(...(await sampleRuns(r.step, 1, 0)));
    }
    for (const r of runs) {
      const t = summarize(r.times);
      const bytes = r.opt.stateBytes();
      rows.push(`${r.label} ${(bytes / 2 ** 20).toFixed(1)} | ${(bytes / PARAMETERS).toFixed(3)} | ${t.medianMs.toFixed(0)} | ${t.minMs.toFixed(0)} | ${t.maxMs.toFixed(0)} |`);
      r.opt.dispose();
    }
    console.log(`${PARAMETERS.toLocaleString('en')} float32 parameters, ${layout.length} tensors (ResNet-50 mix), max_unorm 0.02, ${ROUNDS} interleaved rounds\n`);
    console.log(rows.join('\n'));
  },
};
