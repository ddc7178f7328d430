import { type NumericType } from '../src/index.js';
import { WasmBackend } from '../src/backends/wasm/WasmBackend.js';
import { plainMomentumCoefficients } from '../src/core/LayerCoefficients.js';
import { buildLayerPlan, PLAIN_PLAN } from '../src/core/LayerPlan.js';
import { fillRandom, sampleRuns, summarize } from './harness.js';
import type { BenchSuite } from './suites.js';

/** Rounds: each variant runs once per round, in turn, so load changes hit both alike. */
const ROUNDS = 15;

/**
 * What the recoverable update costs: the fused update pass alone
 * (`applyUpdate`, momentum, one layer per 1M elements) on 2 threads, with
 * workers backing up each chunk before they write it (`backUpChunks`, the
 * default) against workers writing without a backup. Also prints the machine's
 * load average, since the 2 threads need 2 free cores to mean anything.
 */
async function run(): Promise<void> {
  const os = await import('node:os');
  console.log(`${ROUNDS} interleaved rounds per row; node ${process.version}; load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}\n`);
  console.log('| update pass, 2 threads | elements | dtype | median ms | min ms | max ms | median ratio to no backup |');
  console.log('|---|---|---|---|---|---|---|');
  for (const n of [1 << 20, 8 << 20]) {
    for (const dtype of ['float32', 'float64'] as NumericType[]) {
      const ends: number[] = [];
      for (let e = 1 << 20; e < n; e += 1 << 20) ends.push(e);
      const plan = buildLayerPlan(n, { ...PLAIN_PLAN, layerBoundaries: ends });
      const c = plainMomentumCoefficients(plan.segments.length, 1e-4, 0.9, 1e-3);
      const variants = [] as { name: string; step: () => void; dispose: () => void }[];
      for (const backUpChunks of [true, false]) {
        const b = WasmBackend.createThreaded({ threads: 2, backUpChunks })!;
        if (b.threads === null || !(await b.threads.ready())) throw new Error('the worker thread did not start');
        const w = b.allocateVector(n, dtype);
        const g = b.allocateVector(n, dtype);
        fillRandom(w.data, 1);
        fillRandom(g.data, 2, 0.01);
        const s = b.createState(plan, dtype);
        variants.push({
          name: backUpChunks ? 'chunk backup (default)' : 'no backup',
          step: () => b.applyUpdate(plan, c, w, g, s),
          dispose: () => {
            s.dispose();
            b.dispose();
          },
        });
      }
      const samples = variants.map((): number[] => []);
      for (let round = 0; round < ROUNDS; round++) {
        for (const [i, v] of variants.entries()) samples[i].push(...(await sampleRuns(v.step, 5, 1)));
      }
      variants.forEach((v) => v.dispose());
      const [scratch, inPlace] = samples.map(summarize);
      for (const [i, t] of [scratch, inPlace].entries()) {
        console.log(
          `| ${variants[i].name} | ${n >> 20}M | ${dtype} | ${t.medianMs.toFixed(2)} | ${t.minMs.toFixed(2)} | ${t.maxMs.toFixed(2)} | ${(t.medianMs / inPlace.medianMs).toFixed(2)} |`,
        );
      }
    }
  }
  console.log(`\nload average after: ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
}

/** The `worker-commit` suite. */
export const workerCommitSuite: BenchSuite = { name: 'worker-commit', run };
