import { expect } from 'chai';
import { LARS8bit, Vector, type NumericType, type ParameterLayout } from '../../src/index.js';
import { WasmBackend } from '../../src/backends/wasm/WasmBackend.js';
import { WasmQuantizedState } from '../../src/backends/wasm/WasmQuantizedState.js';
import { allocateCoefficients, type LayerCoefficients } from '../../src/core/LayerCoefficients.js';
import type { LayerPlan } from '../../src/core/LayerPlan.js';
import { planOfSizes } from '../support/planOfSizes.js';
import type { BackendState } from '../../src/core/OptimizerBackend.js';
import { fillRandom, uniform } from '../support/random.js';
import { backendOf, stateOf } from '../support/optimizerInternals.js';

// Issue 12, goal 4: plans with 8-bit momentum on the worker threads. The
// update must leave parameters, codes, absmax and the 32-bit values of the
// small layers bit-identical to one thread (every 256-element block is
// updated whole by one kernel call); Σu² of a layer cut into pieces is summed
// per piece and the pieces added in order, so it may differ from one thread's
// in-order sum by at most 2n·2⁻⁵³ relative (both are float64 sums of the same
// n non-negative terms, each within (n−1)·2⁻⁵³ of the exact sum).

/** Sizes in plan order: 8-bit layers (at least MIN_8BIT) of sizes that are no multiples of 256 or of a chunk, small 32-bit layers between them, one frozen (all zero) 8-bit layer. */
const SIZES = [100, 9_999, 3, 40_000, 4_095, 5_001, 20_011, 1, 4_100, 12_345, 700, 257];
const MIN_8BIT = 4096;
/** The layer whose weights and gradients stay zero (absmax 0: the kernels' zero fill). */
const FROZEN = 8;

/** A plan of layers of these sizes, 8-bit from {@link MIN_8BIT} elements. */
function planOf(sizes: readonly number[]): LayerPlan {
  return planOfSizes(sizes, 8, MIN_8BIT);
}

/**
 * 8-bit layers of 5,000 elements with 32-bit ones of 7 between them: cut into
 * chunks of 4,096, every chunk of several pieces starts with the tail of an
 * 8-bit layer, so a worker stopped inside such a chunk has already written
 * codes and absmax there, which the backup must restore.
 */
const FAILURE_SIZES = Array.from({ length: 23 }, (_, i) => (i % 2 === 0 ? 5000 : 7));

/** Random coefficients; plain momentum (fromBuffer 1, fromDirection 0, the kernels' shortcut) when `plain`. */
function coefficients(layers: number, seed: number, plain: boolean): LayerCoefficients {
  const u = uniform(seed);
  const r = () => 2 * u() - 1;
  const c = allocateCoefficients(layers);
  for (let l = 0; l < layers; l++) {
    c.gradScale[l] = 1 + 0.1 * r();
    c.decay[l] = 1e-3 * Math.abs(r());
    c.bufferMomentum[l] = 0.9 + 0.05 * r();
    c.bufferGain[l] = 1 - 0.1 * Math.abs(r());
    c.fromBuffer[l] = plain ? 1 : 1 + 0.2 * r();
    c.fromDirection[l] = plain ? 0 : 0.3 * r();
    c.stepScale[l] = 0.1 * Math.abs(r());
  }
  return c;
}

/** `seed`'s values in [-scale, scale) in `vector`, zero over the frozen layer (when the plan has it). */
function fill(plan: LayerPlan, vector: Vector, seed: number, scale: number): Vector {
  fillRandom(vector.data, seed, scale);
  const s = plan.segments[FROZEN];
  if (plan.segments.length === SIZES.length) vector.data.fill(0, s.start, s.end);
  return vector;
}

/** Indices (at most 5) where two arrays differ bitwise. */
function differences(a: ArrayLike<number>, b: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let i = 0; i < a.length && out.length < 5; i++) if (!Object.is(a[i], b[i])) out.push(i);
  return out;
}

/** Every layer of two states, bit for bit: codes and absmax of 8-bit layers, values of 32-bit ones. */
function expectSameState(plan: LayerPlan, a: BackendState, b: BackendState, when: string): void {
  const x = a.snapshot().layers;
  const y = b.snapshot().layers;
  expect(x.length).to.equal(y.length);
  let eightBit = 0;
  for (let l = 0; l < x.length; l++) {
    const p = x[l];
    const q = y[l];
    expect(p.bits, `layer ${l} bits`).to.equal(q.bits);
    if (p.bits === 8 && q.bits === 8) {
      eightBit++;
      expect(differences(p.codes, q.codes), `${when}: codes of layer ${l} that differ`).to.deep.equal([]);
      expect(differences(p.absmax, q.absmax), `${when}: absmax of layer ${l} that differ`).to.deep.equal([]);
    } else if (p.bits === 32 && q.bits === 32) {
      expect(differences(p.values, q.values), `${when}: momentum of layer ${l} that differ`).to.deep.equal([]);
    }
  }
  expect(eightBit, '8-bit layers compared').to.equal(plan.segments.filter((s) => s.stateBits === 8).length).and.to.be.greaterThan(0);
}

/** Σu² per layer: within 2n·2⁻⁵³ relative of one thread's in-order sums. */
function expectUpdateNorms(plan: LayerPlan, threaded: Float64Array, single: Float64Array): void {
  for (const s of plan.segments) {
    const n = s.end - s.start;
    const a = threaded[s.index];
    const b = single[s.index];
    expect(Math.abs(a - b), `Σu² of layer ${s.index} (${n} elements, ${s.stateBits}-bit)`).to.be.at.most(2 * n * 2 ** -53 * b);
  }
}

/** A threaded backend with `chunkElements`, started; its worker enters every pass unless `awaitWorkers` is false. */
async function threadedBackend(chunkElements: number, extra: { stallMs?: number; awaitWorkers?: boolean } = {}): Promise<WasmBackend> {
  const b = WasmBackend.createThreaded({ threads: 2, minElements: 0, chunkElements, awaitWorkers: true, ...extra })!;
  expect(b.threads, 'a worker pool (Node has worker_threads)').to.not.equal(null);
  expect(await b.threads!.ready()).to.equal(true);
  return b;
}

describe('WasmBackend on worker threads with 8-bit momentum', function () {
  this.timeout(60_000);
  const plan = planOf(SIZES);
  const n = plan.length;
  let single: WasmBackend;

  before(() => {
    single = WasmBackend.create()!;
    expect(plan.segments.filter((s) => s.stateBits === 8).length, 'a mixed plan').to.equal(6);
    expect(plan.segments.filter((s) => s.stateBits === 32).length).to.equal(6);
  });

  after(() => single.dispose());

  // 4096: chunks end inside 8-bit layers that start off any 256-boundary; 1000 (1008, no multiple of 256); 16: below one block;
  // and 4096 on the real schedule (the worker joins each pass when it wakes).
  for (const [chunk, awaitWorkers] of [[4096, true], [1000, true], [16, true], [4096, false]] as const) {
    for (const dtype of ['float32', 'float64'] as NumericType[]) {
      const schedule = awaitWorkers ? '' : ', real schedule';
      it(`matches one thread bit for bit over 4 steps (${dtype}, chunks of ${chunk}${schedule}): parameters, codes, absmax, 32-bit momentum; Σu² to 2n·2⁻⁵³`, async () => {
        const threaded = await threadedBackend(chunk, { awaitWorkers });
        const pool = threaded.threads!;
        const w1 = fill(plan, threaded.allocateVector(n, dtype), 1, 2);
        const w2 = fill(plan, single.allocateVector(n, dtype), 1, 2);
        const s1 = threaded.createState(plan, dtype);
        const s2 = single.createState(plan, dtype);
        expect(s1).to.be.an.instanceOf(WasmQuantizedState);
        expect(pool.accepts(plan)).to.equal(true);
        for (let step = 0; step < 4; step++) {
          const g1 = fill(plan, threaded.allocateVector(n, dtype), 10 + step, 0.5);
          const g2 = fill(plan, single.allocateVector(n, dtype), 10 + step, 0.5);
          const jobs = pool.workerJobs();
          const pieces = pool.workerPieces();
          threaded.layerNorms(plan, w1, g1);
          single.layerNorms(plan, w2, g2);
          const c = coefficients(plan.segments.length, 20 + step, step % 2 === 1);
          expectUpdateNorms(plan, threaded.updateNorms(plan, c, w1, g1, s1), single.updateNorms(plan, c, w2, g2, s2));
          threaded.applyUpdate(plan, c, w1, g1, s1);
          single.applyUpdate(plan, c, w2, g2, s2);
          if (awaitWorkers) {
            // Three passes posted and awaited: the worker entered each and did pieces of them.
            expect(pool.workerJobs(), 'passes the worker entered').to.equal(jobs + 3);
            expect(pool.workerPieces(), 'pieces the worker did').to.be.greaterThan(pieces);
          }
          expect(differences(w1.data, w2.data), `parameters that differ after step ${step + 1}`).to.deep.equal([]);
          expectSameState(plan, s1, s2, `step ${step + 1}`);
          threaded.releaseVector(g1);
          single.releaseVector(g2);
        }
        expect(threaded.takeWarnings()).to.deep.equal([]);
        s1.dispose();
        s2.dispose();
        single.releaseVector(w2);
        threaded.dispose();
      });
    }
  }

  it('steps ordinary vectors on the threads after layerNorms staged them (float32), bit for bit', async () => {
    const threaded = await threadedBackend(4096);
    const pool = threaded.threads!;
    const w1 = fill(plan, Vector.zeros(n, 'float32'), 3, 2);
    const w2 = fill(plan, single.allocateVector(n, 'float32'), 3, 2);
    const s1 = threaded.createState(plan, 'float32');
    const s2 = single.createState(plan, 'float32');
    for (let step = 0; step < 3; step++) {
      const g1 = fill(plan, Vector.zeros(n, 'float32'), 30 + step, 0.5);
      const g2 = fill(plan, single.allocateVector(n, 'float32'), 30 + step, 0.5);
      threaded.layerNorms(plan, w1, g1);
      single.layerNorms(plan, w2, g2);
      const jobs = pool.workerJobs();
      const c = coefficients(plan.segments.length, 40 + step, false);
      expectUpdateNorms(plan, threaded.updateNorms(plan, c, w1, g1, s1), single.updateNorms(plan, c, w2, g2, s2));
      threaded.applyUpdate(plan, c, w1, g1, s1);
      single.applyUpdate(plan, c, w2, g2, s2);
      expect(pool.workerJobs(), 'update norms and update on the worker').to.equal(jobs + 2);
      expect(differences(w1.data, w2.data), `parameters that differ after step ${step + 1}`).to.deep.equal([]);
      expectSameState(plan, s1, s2, `step ${step + 1}`);
      single.releaseVector(g2);
    }
    s1.dispose();
    s2.dispose();
    single.releaseVector(w2);
    threaded.dispose();
  });

  for (const hang of [false, true]) {
    it(`updates every chunk exactly once when the worker ${hang ? 'stalls' : 'fails'} inside the 8-bit update (restored from its backup), then goes on alone`, async () => {
      const plan = planOf(FAILURE_SIZES);
      const n = plan.length;
      const threaded = await threadedBackend(4096, { stallMs: 200 });
      const pool = threaded.threads!;
      const dtype: NumericType = 'float32';
      const w1 = fill(plan, threaded.allocateVector(n, dtype), 5, 2);
      const w2 = fill(plan, single.allocateVector(n, dtype), 5, 2);
      const g1 = fill(plan, threaded.allocateVector(n, dtype), 6, 0.5);
      const g2 = fill(plan, single.allocateVector(n, dtype), 6, 0.5);
      const s1 = threaded.createState(plan, dtype);
      const s2 = single.createState(plan, dtype);
      let steps = 0;
      // From step 3 (momentum, codes and absmax no longer zero, so a wrong restore shows), the failure strikes
      // inside a chunk with pieces left, once the worker has done 3 more pieces of an update pass.
      while (pool.workers > 0 && steps < 50) {
        const c = coefficients(plan.segments.length, 50 + steps, steps % 2 === 0);
        pool.failWorkerAfter(null);
        expectUpdateNorms(plan, threaded.updateNorms(plan, c, w1, g1, s1), single.updateNorms(plan, c, w2, g2, s2));
        if (steps >= 2) pool.failWorkerAfter(3, hang);
        threaded.applyUpdate(plan, c, w1, g1, s1);
        single.applyUpdate(plan, c, w2, g2, s2);
        steps++;
        expect(differences(w1.data, w2.data), `parameters that differ after step ${steps}`).to.deep.equal([]);
        expectSameState(plan, s1, s2, `step ${steps}`);
      }
      expect(pool.workers, 'the worker was lost within 50 steps').to.equal(0);
      expect(steps, 'lost in a step with momentum').to.be.greaterThan(2);
      const warnings = threaded.takeWarnings();
      expect(warnings).to.have.length(1);
      expect(warnings[0]).to.match(
        new RegExp(`worker thread 0 ${hang ? 'stalled for 200 ms' : 'failed'} inside the update pass; the calling thread completed the [1-9]\\d* chunk\\(s\\) left, exactly`),
      );
      // Later steps on the calling thread alone, still exact.
      const jobs = pool.workerJobs();
      const c = coefficients(plan.segments.length, 99, false);
      threaded.applyUpdate(plan, c, w1, g1, s1);
      single.applyUpdate(plan, c, w2, g2, s2);
      expect(pool.workerJobs()).to.equal(jobs);
      expect(differences(w1.data, w2.data)).to.deep.equal([]);
      expectSameState(plan, s1, s2, 'after the loss');
      s1.dispose();
      s2.dispose();
      for (const v of [w2, g2]) single.releaseVector(v);
      threaded.dispose();
    });
  }

  it('saves and loads the state of a threaded LARS8bit optimizer exactly: the loaded copy steps on as the original does', async () => {
    const layout: ParameterLayout = SIZES.map((size, i) => ({ name: `t${i}`, size, kind: 'weight' as const }));
    const kwargs = { lr: 0.1, momentum: 0.9, weight_decay: 1e-4, max_unorm: 0.02 };
    const a = new LARS8bit<'float32'>(layout, kwargs, {}, { backend: await threadedBackend(4096) });
    const wa = a.allocateVector(n, 'float32');
    const g = a.allocateVector(n, 'float32');
    fill(plan, wa, 7, 1);
    const pool = backendOf<WasmBackend>(a).threads!;
    for (let step = 0; step < 3; step++) {
      fill(plan, g, 60 + step, 0.01);
      a.step(wa, g);
    }
    expect(stateOf(a)).to.be.an.instanceOf(WasmQuantizedState);
    const saved = a.saveState();
    expect(saved.momentum!.filter((m) => m.bits === 8)).to.have.length(6);
    const b = new LARS8bit<'float32'>(layout, kwargs, {}, { backend: await threadedBackend(4096) });
    b.loadState(saved);
    expect(b.saveState()).to.deep.equal(saved);
    const wb = b.allocateVector(n, 'float32');
    wb.data.set(wa.data);
    const jobs = pool.workerJobs();
    for (let step = 0; step < 2; step++) {
      fill(plan, g, 70 + step, 0.01);
      a.step(wa, g);
      b.step(wb, g);
    }
    expect(pool.workerJobs(), 'the original stepped on the worker').to.be.greaterThan(jobs);
    expect(differences(wa.data, wb.data)).to.deep.equal([]);
    expect(b.saveState()).to.deep.equal(a.saveState());
    a.dispose();
    b.dispose();
  });
});
