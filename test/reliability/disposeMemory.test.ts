import { expect } from 'chai';
import { LARSOptimizer, Vector } from '../../src/index.js';
import { WasmBackend } from '../../src/backends/wasm/WasmBackend.js';
import { type WasmThreadPool } from '../../src/backends/wasm/WasmThreadPool.js';
import { plainMomentumCoefficients } from '../../src/core/LayerCoefficients.js';
import { buildLayerPlan } from '../../src/core/LayerPlan.js';
import { fillRandom } from '../support/random.js';
import { backendOf } from '../support/optimizerInternals.js';

// Issue 11, item 12: with cpuThreads 2, dispose() must free the shared memory
// and the workers at once, so synchronous create/step/dispose cycles do not grow memory.

const MiB = 2 ** 20;

/** Resolves true when every pool's workers have exited within `ms`. */
async function allExited(pools: WasmThreadPool[], ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const done = Promise.all(pools.map((p) => p.exited())).then(() => true);
  const result = await Promise.race([done, timeout]);
  clearTimeout(timer);
  return result;
}

describe('reliability: dispose() frees memory and workers at once (issue 11, item 12)', function () {
  this.timeout(60_000);

  it('40 synchronous create/step/dispose cycles with cpuThreads 2 reuse one memory: resident memory stays flat, every worker exits', async () => {
    const n = 300_000; // above the threads' minElements: state and staging take 3.6 MB a cycle
    const w0 = Vector.zeros(n, 'float32');
    fillRandom(w0.data, 1, 1);
    const g = Vector.zeros(n, 'float32');
    fillRandom(g.data, 2, 0.01);
    const w = w0.clone();
    const memories = new Set<WebAssembly.Memory>();
    const pools: WasmThreadPool[] = [];
    const rss0 = process.memoryUsage().rss;
    for (let cycle = 0; cycle < 40; cycle++) {
      const opt = new LARSOptimizer<'float32'>(null, { backend: 'cpu', cpuThreads: 2, warmupEpochs: 0, learningRateSchedule: 'constant' });
      const backend = backendOf<WasmBackend>(opt);
      expect(backend).to.be.instanceOf(WasmBackend);
      memories.add(backend.heap.memory);
      if (backend.threads !== null) pools.push(backend.threads);
      w.data.set(w0.data);
      opt.step(w, g);
      opt.step(w, g);
      opt.dispose();
    }
    const grown = (process.memoryUsage().rss - rss0) / MiB;
    expect(pools.length, 'worker threads were started').to.equal(40);
    expect(memories.size, 'shared memories made for 40 backends').to.be.at.most(2);
    expect(grown, 'resident memory growth in MiB (40 cycles of 3.6 MB)').to.be.lessThan(60);
    expect(await allExited(pools, 20_000), 'every worker thread exited').to.equal(true);
  });

  it('a memory reused after dispose, while the old workers may still be exiting, steps exactly on the new workers', async () => {
    const n = 40_000;
    const plan = buildLayerPlan(n, { layerBoundaries: [4096 * 3, 4096 * 7], skipLARSLayers: null, excludeBiasFromLARS: false, optimBits: 32, min8bitSize: 4096 });
    const c = plainMomentumCoefficients(plan.segments.length, 1e-3, 0.9, 0.1);
    const single = WasmBackend.create()!;
    const ref = single.allocateVector(n, 'float32');
    const rg = single.allocateVector(n, 'float32');
    fillRandom(ref.data, 3, 1);
    fillRandom(rg.data, 4, 0.01);
    const rs = single.createState(plan, 'float32');
    const memories = new Set<WebAssembly.Memory>();
    let workerJobs = 0;
    for (let cycle = 0; cycle < 8; cycle++) {
      const b = WasmBackend.createThreaded({ threads: 2, minElements: 0, chunkElements: 4096, awaitWorkers: true })!;
      memories.add(b.heap.memory);
      await b.threads!.ready();
      const w = b.allocateVector(n, 'float32');
      const g = b.allocateVector(n, 'float32');
      fillRandom(w.data, 3, 1);
      g.data.set(rg.data);
      const s = b.createState(plan, 'float32');
      for (let step = 0; step < 2; step++) b.applyUpdate(plan, c, w, g, s);
      if (cycle === 0) for (let step = 0; step < 2; step++) single.applyUpdate(plan, c, ref, rg, rs);
      expect(Array.from(w.data), `cycle ${cycle}`).to.deep.equal(Array.from(ref.data));
      workerJobs += b.threads!.workerJobs();
      s.dispose();
      b.releaseVector(w);
      b.releaseVector(g);
      b.dispose();
    }
    expect(workerJobs, 'the workers took part').to.be.greaterThan(0);
    expect(memories.size, 'memories made for 8 backends').to.be.at.most(2);
    single.dispose();
  });
});
