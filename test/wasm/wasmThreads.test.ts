import { expect } from 'chai';
import { presets, LARSOptimizer, type NumericType, Vector } from '../../src/index.js';
import { createCpuBackend } from '../../src/backends/createCpuBackend.js';
import { WasmBackend } from '../../src/backends/wasm/WasmBackend.js';
import { allocateCoefficients, type LayerCoefficients } from '../../src/core/LayerCoefficients.js';
import type { LayerPlan } from '../../src/core/LayerPlan.js';
import { planOfSizes } from '../support/planOfSizes.js';
import { type BackendState } from '../../src/core/OptimizerBackend.js';
import { fillRandom, uniform } from '../support/random.js';
import { backendOf } from '../support/optimizerInternals.js';
import { PartialStepError } from '../../src/core/PartialStepError.js';

const CHUNK = 4096;

/** Deterministic values in [-1, 1). */
function createRandom(seed: number): () => number {
  const u = uniform(seed);
  return () => 2 * u() - 1;
}

/** One big layer, many small ragged ones (some of 1 element), a few mid-sized: most straddle chunk boundaries. */
function raggedPlan(): LayerPlan {
  const rand = createRandom(99);
  const sizes = [7, 1, 150_001, 1];
  for (let i = 0; i < 40; i++) sizes.push(1 + Math.floor(Math.abs(rand()) * 3000));
  sizes.push(20_011, 3, 9_999, 1);
  return planOfSizes(sizes, 32);
}

function coefficients(layers: number, seed: number): LayerCoefficients {
  const rand = createRandom(seed);
  const c = allocateCoefficients(layers);
  for (let l = 0; l < layers; l++) {
    c.gradScale[l] = 1 + 0.1 * rand();
    c.decay[l] = 1e-3 * Math.abs(rand());
    c.bufferMomentum[l] = 0.9 + 0.05 * rand();
    c.bufferGain[l] = 1 - 0.1 * Math.abs(rand());
    c.fromBuffer[l] = 1 + 0.2 * rand();
    c.fromDirection[l] = 0.3 * rand();
    c.stepScale[l] = 0.1 * Math.abs(rand());
  }
  return c;
}

/** A vector in `backend`'s memory holding `seed`'s values in [-scale, scale). */
function filled(backend: WasmBackend, n: number, dtype: NumericType, seed: number, scale: number): Vector {
  const v = backend.allocateVector(n, dtype);
  fillRandom(v.data, seed, scale);
  return v;
}

/** Indices where two arrays differ bitwise (NaN-safe via Object.is), at most 5. */
function differences(a: ArrayLike<number>, b: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let i = 0; i < a.length && out.length < 5; i++) if (!Object.is(a[i], b[i])) out.push(i);
  return out;
}

/** Whether layer `s` lies inside one chunk (so the threaded sum is the single-thread kernel call exactly). */
const insideOneChunk = (s: { start: number; end: number }) => s.end - s.start <= 1 || Math.floor(s.start / CHUNK) === Math.floor((s.end - 1) / CHUNK);

/** Checks threaded per-layer sums against single-thread ones: exact inside a chunk, else within 2n·2⁻⁵³ relative. */
function expectSums(plan: LayerPlan, threaded: Float64Array, single: Float64Array, perLayer: number): void {
  let straddling = 0;
  for (const s of plan.segments) {
    const n = s.end - s.start;
    for (let j = 0; j < perLayer; j++) {
      const a = threaded[perLayer * s.index + j];
      const b = single[perLayer * s.index + j];
      if (insideOneChunk(s)) expect(a, `layer ${s.index}`).to.equal(b);
      else expect(Math.abs(a - b), `layer ${s.index} (${n} elements)`).to.be.at.most(2 * n * 2 ** -53 * b);
    }
    if (!insideOneChunk(s)) straddling++;
  }
  expect(straddling, 'layers cut by chunk boundaries').to.be.greaterThan(3);
}

// Golden replay, 8-bit parity, save/restore, bad input and kernel failure on a threaded backend run
// in test/conformance/ (against the JS loops); this file compares threads with one thread and
// tests the pool's own mechanics.
describe('WasmBackend on worker threads (createThreaded)', function () {
  this.timeout(20000);
  const plan = raggedPlan();
  const n = plan.length;
  let threaded: WasmBackend;
  let single: WasmBackend;

  before(async () => {
    // awaitWorkers: the worker enters every pass, so each test below mixes its chunks with the caller's.
    threaded = WasmBackend.createThreaded({ threads: 2, minElements: 0, chunkElements: CHUNK, awaitWorkers: true })!;
    single = WasmBackend.create()!;
    expect(threaded.threads, 'a worker pool (Node has worker_threads)').to.not.equal(null);
    expect(await threaded.threads!.ready()).to.equal(true);
  });

  after(() => {
    threaded.dispose();
    single.dispose();
  });

  /** Four steps of every pass on `threaded` and on one thread: update and state bit for bit, norms to the bound. */
  function compareSteps(backend: WasmBackend, dtype: NumericType, momentum: boolean): void {
    const w1 = filled(backend, n, dtype, 1, 3);
    const w2 = filled(single, n, dtype, 1, 3);
    const s1: BackendState | null = momentum ? backend.createState(plan, dtype) : null;
    const s2: BackendState | null = momentum ? single.createState(plan, dtype) : null;
    for (let step = 0; step < 4; step++) {
      const g1 = filled(backend, n, dtype, 10 + step, 0.5);
      const g2 = filled(single, n, dtype, 10 + step, 0.5);
      expectSums(plan, backend.layerNorms(plan, w1, g1), single.layerNorms(plan, w2, g2), 2);
      const c = coefficients(plan.segments.length, 20 + step);
      expectSums(plan, backend.updateNorms(plan, c, w1, g1, s1), single.updateNorms(plan, c, w2, g2, s2), 1);
      backend.applyUpdate(plan, c, w1, g1, s1);
      single.applyUpdate(plan, c, w2, g2, s2);
      expect(differences(w1.data, w2.data), 'parameters that differ').to.deep.equal([]);
      backend.releaseVector(g1);
      single.releaseVector(g2);
    }
    if (momentum) {
      const b1 = s1!.snapshot().layers.flatMap((x) => (x.bits === 32 ? Array.from(x.values) : []));
      const b2 = s2!.snapshot().layers.flatMap((x) => (x.bits === 32 ? Array.from(x.values) : []));
      expect(differences(b1, b2), 'momentum entries that differ').to.deep.equal([]);
    }
    s1?.dispose();
    s2?.dispose();
    backend.releaseVector(w1);
    single.releaseVector(w2);
  }

  for (const dtype of ['float32', 'float64'] as NumericType[]) {
    it(`steps ordinary vectors on the threads after layerNorms staged them (${dtype}): update and state bit for bit, update norms to 2n·2⁻⁵³`, () => {
      const pool = threaded.threads!;
      const w1 = Vector.zeros(n, dtype);
      fillRandom(w1.data, 1, 3);
      const w2 = filled(single, n, dtype, 1, 3);
      const s1 = threaded.createState(plan, dtype);
      const s2 = single.createState(plan, dtype);
      for (let step = 0; step < 3; step++) {
        const g1 = Vector.zeros(n, dtype);
        fillRandom(g1.data, 10 + step, 0.5);
        const g2 = filled(single, n, dtype, 10 + step, 0.5);
        // layerNorms copies ordinary vectors on the calling thread, summing each chunk as one call would.
        expect(Array.from(threaded.layerNorms(plan, w1, g1))).to.deep.equal(Array.from(single.layerNorms(plan, w2, g2)));
        const jobsBefore = pool.workerJobs();
        const c = coefficients(plan.segments.length, 30 + step);
        expectSums(plan, threaded.updateNorms(plan, c, w1, g1, s1), single.updateNorms(plan, c, w2, g2, s2), 1);
        threaded.applyUpdate(plan, c, w1, g1, s1);
        single.applyUpdate(plan, c, w2, g2, s2);
        expect(pool.workerJobs(), 'update norms and update on the worker').to.equal(jobsBefore + 2);
        expect(differences(w1.data, w2.data), 'parameters that differ').to.deep.equal([]);
        single.releaseVector(g2);
      }
      const b1 = s1.snapshot().layers.flatMap((x) => (x.bits === 32 ? Array.from(x.values) : []));
      const b2 = s2.snapshot().layers.flatMap((x) => (x.bits === 32 ? Array.from(x.values) : []));
      expect(differences(b1, b2), 'momentum entries that differ').to.deep.equal([]);
      s1.dispose();
      s2.dispose();
      single.releaseVector(w2);
    });
  }

  for (const dtype of ['float32', 'float64'] as NumericType[]) {
    for (const momentum of [true, false]) {
      it(`matches one thread over 4 steps (${dtype}, ${momentum ? 'with' : 'without'} momentum): update and state bit for bit, norms to 2n·2⁻⁵³`, () => {
        const pool = threaded.threads!;
        const jobsBefore = pool.workerJobs();
        const piecesBefore = pool.workerPieces();
        compareSteps(threaded, dtype, momentum);
        // 12 passes posted, each awaited: the worker entered every one.
        expect(pool.workerJobs()).to.equal(jobsBefore + 12);
        expect(pool.workerPieces()).to.be.greaterThan(piecesBefore);
      });
    }
  }

  it('matches one thread on the real schedule too (no awaitWorkers: the worker joins when it wakes)', async () => {
    const b = WasmBackend.createThreaded({ threads: 2, minElements: 0, chunkElements: CHUNK })!;
    await b.threads!.ready();
    for (const dtype of ['float32', 'float64'] as NumericType[]) compareSteps(b, dtype, true);
    b.dispose();
  });

  it('stays on the calling thread below minElements and for vectors outside its memory that layerNorms did not stage', async () => {
    const small = WasmBackend.createThreaded({ threads: 2, minElements: n + 1, chunkElements: CHUNK })!;
    await small.threads!.ready();
    expect(small.threads!.accepts(plan)).to.equal(false);
    const w = filled(small, n, 'float32', 3, 1);
    const g = filled(small, n, 'float32', 4, 1);
    const c = coefficients(plan.segments.length, 5);
    small.layerNorms(plan, w, g);
    small.applyUpdate(plan, c, w, g, null);
    expect(small.threads!.workerJobs()).to.equal(0);

    const jobs = threaded.threads!.workerJobs();
    const ordinary = filled(single, n, 'float32', 3, 1);
    threaded.layerNorms(plan, ordinary, ordinary);
    threaded.applyUpdate(plan, c, ordinary, ordinary, null);
    // The norms ran on the calling thread; the update of the copies layerNorms staged, on the worker.
    expect(threaded.threads!.workerJobs()).to.equal(jobs + 1);
    // Without a preceding layerNorms of these arrays, the update copies them and stays on the calling thread.
    threaded.applyUpdate(plan, c, ordinary, ordinary, null);
    expect(threaded.threads!.workerJobs()).to.equal(jobs + 1);
    small.dispose();
  });

  it('is what createCpuBackend gives when asked for threads, and not by default', () => {
    const plain = createCpuBackend();
    expect(plain instanceof WasmBackend && plain.threads === null).to.equal(true);
    const two = createCpuBackend({ threads: 2 });
    expect(two instanceof WasmBackend && two.threads !== null && two.threads.workers === 1).to.equal(true);
    plain.dispose();
    two.dispose();
  });

  it("the cpuThreads option reaches the backend: backend 'cpu' with cpuThreads 2 steps on a worker, 1 (the default) does not", async () => {
    const n = 300_000;
    const layout = [{ name: 'big', size: n, kind: 'weight' as const }];
    // Stepped by hand at a constant rate (warmup and a schedule would need steps per epoch).
    const constant = { warmupEpochs: 0, learningRateSchedule: 'constant' } as const;
    const two = new LARSOptimizer(null, { backend: 'cpu', cpuThreads: 2, ...constant }, { layout });
    const one = new LARSOptimizer(null, { backend: 'cpu', ...constant }, { layout });
    const pool = backendOf<WasmBackend>(two).threads!;
    expect(pool.workers).to.equal(1);
    expect(backendOf<WasmBackend>(one).threads).to.equal(null);
    expect(await pool.ready()).to.equal(true);
    const w2 = two.allocateVector(n, 'float32');
    const g2 = two.allocateVector(n, 'float32');
    fillRandom(w2.data, 3);
    fillRandom(g2.data, 4, 0.01);
    const w1 = Vector.from(w2.data, 'float32');
    const before = pool.workerJobs();
    for (let s = 0; s < 3; s++) {
      two.step(w2, g2);
      one.step(w1, Vector.from(g2.data, 'float32'));
    }
    expect(pool.workerJobs()).to.be.above(before);
    // One layer of 300K elements spans several chunks, so norms may differ from one thread in the last bits: float32 agreement.
    for (let i = 0; i < n; i += 997) expect(w2.data[i]).to.be.closeTo(w1.data[i], 1e-6 * Math.max(1, Math.abs(w1.data[i])));
    two.dispose();
    one.dispose();
  });

  it('asks for no pool with threads: 1', () => {
    const one = WasmBackend.createThreaded({ threads: 1 })!;
    expect(one.threads).to.equal(null);
    one.dispose();
  });

  it('terminates its workers on dispose, and then runs on the calling thread', async () => {
    const b = WasmBackend.createThreaded({ threads: 2, minElements: 0, chunkElements: CHUNK })!;
    const pool = b.threads!;
    await pool.ready();
    expect(pool.workers).to.equal(1);
    b.dispose();
    expect(pool.workers).to.equal(0);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<string>((resolve) => (timer = setTimeout(() => resolve('timeout'), 5000)));
    expect(await Promise.race([pool.exited().then(() => 'exited'), timeout])).to.equal('exited');
    clearTimeout(timer);
    const w = filled(b, n, 'float64', 6, 1);
    const expected = single.layerNorms(plan, w, w);
    expect(Array.from(b.layerNorms(plan, w, w))).to.deep.equal(Array.from(expected));
  });

  for (const pass of ['norm', 'update']) {
    it(`finishes the ${pass} pass exactly when a worker fails inside it, then goes on with one thread`, async () => {
      const b = WasmBackend.createThreaded({ threads: 2, minElements: 0, chunkElements: CHUNK })!;
      const pool = b.threads!;
      await pool.ready();
      const w1 = filled(b, n, 'float32', 7, 2);
      const w2 = filled(single, n, 'float32', 7, 2);
      const s1 = b.createState(plan, 'float32');
      const s2 = single.createState(plan, 'float32');
      const g1 = filled(b, n, 'float32', 8, 0.5);
      const g2 = filled(single, n, 'float32', 8, 0.5);
      let steps = 0;
      // The worker may be late for a pass (then it does nothing in it): step until it has failed.
      while (pool.workers > 0 && steps < 200) {
        pool.failWorkerAfter(pass === 'norm' ? 3 : null);
        expectSums(plan, b.layerNorms(plan, w1, g1), single.layerNorms(plan, w2, g2), 2);
        pool.failWorkerAfter(pass === 'update' ? 3 : null);
        const c = coefficients(plan.segments.length, 40 + steps);
        b.applyUpdate(plan, c, w1, g1, s1);
        single.applyUpdate(plan, c, w2, g2, s2);
        steps++;
        expect(differences(w1.data, w2.data), `parameters that differ after step ${steps}`).to.deep.equal([]);
      }
      expect(pool.workers, 'the worker failed within 200 steps').to.equal(0);
      const jobs = pool.workerJobs();
      const c = coefficients(plan.segments.length, 7);
      b.applyUpdate(plan, c, w1, g1, s1);
      single.applyUpdate(plan, c, w2, g2, s2);
      expect(differences(w1.data, w2.data)).to.deep.equal([]);
      expect(pool.workerJobs()).to.equal(jobs);
      const b1 = s1.snapshot().layers.flatMap((x) => (x.bits === 32 ? Array.from(x.values) : []));
      const b2 = s2.snapshot().layers.flatMap((x) => (x.bits === 32 ? Array.from(x.values) : []));
      expect(differences(b1, b2)).to.deep.equal([]);
      s2.dispose();
      b.dispose();
    });
  }

  it('with backUpChunks false, throws a PartialStepError when a worker stalls inside the update (stallMs), and stops using it', async () => {
    const b = WasmBackend.createThreaded({ threads: 2, minElements: 0, chunkElements: CHUNK, stallMs: 300, backUpChunks: false })!;
    const pool = b.threads!;
    await pool.ready();
    const w = filled(b, n, 'float32', 9, 1);
    const g = filled(b, n, 'float32', 10, 1);
    pool.failWorkerAfter(2, true);
    let error: unknown = null;
    for (let step = 0; step < 200 && error === null; step++) {
      try {
        b.applyUpdate(plan, coefficients(plan.segments.length, step), w, g, null);
      } catch (e) {
        error = e;
      }
    }
    expect(String(error)).to.match(/stalled for 300 ms/);
    expect(error).to.be.instanceOf(PartialStepError);
    expect(pool.workers).to.equal(0);
    const jobs = pool.workerJobs();
    b.layerNorms(plan, w, g);
    expect(pool.workerJobs()).to.equal(jobs);
    b.dispose();
    await pool.exited();
  });

  it('steps an optimizer on 25 thousand-element ragged layers like one thread does (float32, momentum, maxUnorm)', async () => {
    const layout = plan.segments.map((s) => ({ name: s.name, size: s.end - s.start, kind: 'weight' as const }));
    // PytorchLARS as bitsandbytes has it: max_unorm > 0, so each step also runs the Σu² pass.
    const options = presets.bitsandbytes({ lr: 0.1, momentum: 0.9, weight_decay: 1e-4, max_unorm: 0.02 });
    expect(options.maxUnorm).to.be.greaterThan(0);
    const b = WasmBackend.createThreaded({ threads: 2, minElements: 0, chunkElements: CHUNK })!;
    await b.threads!.ready();
    const run = (backend: WasmBackend) => {
      const opt = new LARSOptimizer<'float32'>(null, options, { layout, backend });
      const w = opt.allocateVector(n, 'float32');
      const g = opt.allocateVector(n, 'float32');
      const rand = createRandom(3);
      for (let i = 0; i < n; i++) w.data[i] = rand();
      for (let step = 0; step < 3; step++) {
        for (let i = 0; i < n; i++) g.data[i] = 0.01 * rand();
        opt.step(w, g);
      }
      return Array.from(w.data);
    };
    const a = run(b);
    const jobs = b.threads!.workerJobs();
    const ref = run(WasmBackend.create()!);
    expect(jobs).to.be.greaterThan(0);
    // float32 coefficients: trust ratios from norms that differ in the last float64 bits round alike almost always.
    let worst = 0;
    for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(a[i] - ref[i]));
    expect(worst).to.be.at.most(1e-6);
  });
});
