import { expect } from 'chai';
import { Vector, type NumericType } from '../../src/index.js';
import { CpuBackend } from '../../src/backends/js/CpuBackend.js';
import { ChunkLayout } from '../../src/backends/gpujs/ChunkLayout.js';
import { allocateCoefficients, type LayerCoefficients } from '../../src/core/LayerCoefficients.js';
import { randomCoefficients } from '../support/randomCoefficients.js';
import { buildLayerPlan, PLAIN_PLAN, type LayerPlan } from '../../src/core/LayerPlan.js';
import { type BackendState, type OptimizerBackend } from '../../src/core/OptimizerBackend.js';
import { fillRandom } from '../support/random.js';
import { relL2 } from '../support/relativeError.js';
import { forEachBackend, heapOf, type ConformanceBackend } from './backendTable.js';
import { maxAbsDiff } from './eightBitFixtures.js';

const U32 = 2 ** -24;

/** Values of `seed` in [-scale, scale). */
function random(n: number, seed: number, scale = 1): Float64Array {
  const a = new Float64Array(n);
  fillRandom(a, seed, scale);
  return a;
}

/** One backend-level scenario: a plan, its data and coefficients, a number of steps. */
interface KernelCase {
  readonly name: string;
  readonly plan: LayerPlan;
  readonly steps: number;
  readonly momentum: boolean;
  readonly weights: () => Float64Array;
  readonly gradient: (step: number) => Float64Array;
  readonly coefficients: (step: number) => LayerCoefficients;
}

/** Layers of awkward sizes (not multiples of 4, a 1-element and an empty-ish layer), as the WASM tests had them. */
function awkwardCases(): KernelCase[] {
  const plan = buildLayerPlan(2051, { ...PLAIN_PLAN, layerBoundaries: [7, 8, 1030, 1033] });
  const layers = plan.segments.length;
  const coefficients = (step: number): LayerCoefficients => {
    const c = allocateCoefficients(layers);
    const r = random(7 * layers, 20 + step);
    for (let l = 0; l < layers; l++) {
      c.gradScale[l] = 1 + 0.1 * r[7 * l];
      c.decay[l] = 1e-3 * Math.abs(r[7 * l + 1]);
      c.bufferMomentum[l] = 0.9 + 0.05 * r[7 * l + 2];
      c.bufferGain[l] = 1 - 0.1 * Math.abs(r[7 * l + 3]);
      c.fromBuffer[l] = 1 + 0.2 * r[7 * l + 4];
      c.fromDirection[l] = 0.3 * r[7 * l + 5];
      c.stepScale[l] = 0.1 * Math.abs(r[7 * l + 6]);
    }
    return c;
  };
  return [true, false].map((momentum) => ({
    name: `5 awkward layers (2051 elements), 5 steps ${momentum ? 'with' : 'without'} momentum`,
    plan, steps: 5, momentum, coefficients,
    weights: () => random(2051, 4, 2),
    gradient: (step) => random(2051, 10 + step, 0.5),
  }));
}

function randomSizes(seed: number, layers: number, max: number): number[] {
  return Array.from(random(layers, seed), (x) => 1 + Math.floor(Math.abs(x) * max));
}

/** The GPU tests' random layouts (the ones past 1M elements stay GPU tests: texture addressing). */
function layoutCases(): KernelCase[] {
  const layouts: [string, number[]][] = [
    ['one element', [1]],
    ['three 1-element layers', [1, 1, 1]],
    ['around the smallest chunk size', [255, 256, 257, 1, 511, 513]],
    ['40 random sizes up to 5000', randomSizes(7, 40, 5000)],
    ['12 random sizes up to 70000', randomSizes(8, 12, 70000)],
  ];
  return layouts.map(([name, sizes], k) => {
    const n = sizes.reduce((a, b) => a + b, 0);
    const plan = buildLayerPlan(n, PLAIN_PLAN, sizes.map((size, i) => ({ name: `t${i}`, size, kind: 'weight' as const })));
    const layers = sizes.length;
    const r = random(layers * 7, 200 + k);
    const c = randomCoefficients(layers, r);
    return {
      name: `${name} (${n} elements, ${layers} layers), 2 steps with momentum`,
      plan, steps: 2, momentum: true, coefficients: () => c,
      weights: () => Float64Array.from(Float32Array.from(random(n, 100 + k, 1))),
      gradient: (step: number) => Float64Array.from(Float32Array.from(random(n, 300 + 10 * k + step, 0.5))),
    };
  });
}

const CASES: KernelCase[] = [...awkwardCases(), ...layoutCases()];

/** The 32-bit momentum of a state, flat, as float64. */
function momentumValues(s: BackendState): Float64Array {
  const layers = s.snapshot().layers.map((x) => (x.bits === 32 ? x.values : new Float64Array(0)));
  const out = new Float64Array(layers.reduce((a, x) => a + x.length, 0));
  let at = 0;
  for (const x of layers) {
    out.set(x, at);
    at += x.length;
  }
  return out;
}

/** Whether two arrays hold the same numbers bit for bit (element types may differ only as float32 → float64 does, exactly). */
const sameBits = (a: Float32Array | Float64Array, b: Float32Array | Float64Array): boolean =>
  a.length === b.length && Buffer.from(Float64Array.from(a).buffer).equals(Buffer.from(Float64Array.from(b).buffer));

/** What the JS loops compute for a case: update norms and parameters after each step, the momentum at the end. */
interface ReferenceRun {
  readonly updateNorms: Float64Array[];
  readonly params: (Float32Array | Float64Array)[];
  readonly momentum: Float64Array | null;
}

const referenceRuns = new Map<string, ReferenceRun>();

/** The JS loops' run of `c` in `dtype`, computed once and shared by every backend and vector placement. */
function referenceRun(c: KernelCase, dtype: NumericType): ReferenceRun {
  const key = `${c.name}/${dtype}`;
  let run = referenceRuns.get(key);
  if (run === undefined) {
    const cpu = new CpuBackend();
    const w = Vector.from(c.weights(), dtype);
    const state = c.momentum ? cpu.createState(c.plan, dtype) : null;
    const updateNorms: Float64Array[] = [];
    const params: (Float32Array | Float64Array)[] = [];
    for (let step = 0; step < c.steps; step++) {
      const g = Vector.from(c.gradient(step), dtype);
      updateNorms.push(cpu.updateNorms(c.plan, c.coefficients(step), w, g, state));
      cpu.applyUpdate(c.plan, c.coefficients(step), w, g, state);
      params.push(w.data.slice());
    }
    run = { updateNorms, params, momentum: state === null ? null : momentumValues(state) };
    referenceRuns.set(key, run);
  }
  return run;
}

/** Bound on one per-layer sum of the backend against the JS loops; `extra` roundings per term on top (the update's). */
function sumBound(b: ConformanceBackend, plan: LayerPlan, layer: number, chunking: ChunkLayout | null, extra: number, dtype: NumericType): number {
  const t = b.tolerance;
  const s = plan.segments[layer];
  if (t.kind === 'exact') {
    // norms: a reordered float64 sum of the layer's terms; update norms as the WASM tests stated them (plan-long sums, float32 terms 2⁻¹⁸).
    if (extra === 0) return t.sumUlps * (s.end - s.start) * 2 ** -53;
    return dtype === 'float64' ? t.sumUlps * plan.length * 2 ** -53 : 2 ** -18;
  }
  // A two-level float32 sum of at most chunkSize, then chunkCount terms, each with `extra` roundings.
  return (chunking!.chunkSize + chunking!.chunkCount[layer] + extra) * U32;
}

forEachBackend('backend-level steps from the same coefficients as the JS loops (32-bit state)', (b) => {
  if (b.isReference) return;
  for (const c of CASES) {
    for (const dtype of b.dtypes) {
      for (const zeroCopy of b.zeroCopy) {
        it(`${c.name} (${dtype}, ${zeroCopy ? 'zero-copy' : 'ordinary vectors'}): norms, update norms, parameters and momentum`, async function () {
          this.timeout(120_000);
          const plan = c.plan;
          const n = plan.length;
          const backend: OptimizerBackend = await b.create();
          const cpu = new CpuBackend();
          const place = (values: Float64Array): Vector => {
            if (!zeroCopy) return Vector.from(values, dtype);
            const v = (backend as unknown as { allocateVector(n: number, d: NumericType): Vector }).allocateVector(n, dtype);
            v.data.set(values);
            return v;
          };
          const chunking = b.tolerance.kind === 'float32' ? new ChunkLayout(plan) : null;
          const original = c.weights();
          const w1 = place(original);
          if (b.zeroCopy.includes(true)) expect(heapOf(backend).addressOf(w1.data) !== null, 'a vector in backend memory').to.equal(zeroCopy);
          const ref = referenceRun(c, dtype);
          const s1 = c.momentum ? backend.createState(plan, dtype) : null;
          const since = b.work(backend);
          try {
            for (let step = 0; step < c.steps; step++) {
              const g = c.gradient(step);
              const g1 = place(g);
              const g2 = Vector.from(g, dtype);
              const w2 = ref.params[step];
              const n1 = backend.layerNorms(plan, w1, g1);
              // The JS loops' norms of the backend's own operands: only the summation differs.
              const n2 = cpu.layerNorms(plan, Vector.from(w1.data, dtype), g2);
              for (const s of plan.segments) {
                const bound = sumBound(b, plan, s.index, chunking, chunking === null ? 0 : 1, dtype);
                for (const j of [2 * s.index, 2 * s.index + 1]) expect(Math.abs(n1[j] - n2[j]), `step ${step} norm ${j}`).to.be.at.most(bound * n2[j]);
              }
              const coefficients = c.coefficients(step);
              const u1 = backend.updateNorms(plan, coefficients, w1, g1, s1);
              const u2 = ref.updateNorms[step];
              for (const s of plan.segments) {
                const bound = sumBound(b, plan, s.index, chunking, 8, dtype);
                expect(Math.abs(u1[s.index] - u2[s.index]), `step ${step} update norm ${s.index}`).to.be.at.most(bound * u2[s.index] + 1e-30);
              }
              backend.applyUpdate(plan, coefficients, w1, g1, s1);
              const t = b.tolerance;
              if (t.kind === 'float32') {
                for (const s of plan.segments) expect(relL2(w1.data, w2, s.start, s.end), `step ${step} params of layer ${s.index}`).to.be.at.most(t.kernelParamRelL2);
              } else if (dtype === 'float64') {
                // Same operations in the same order: bit for bit.
                expect(sameBits(w1.data, w2), `step ${step} parameters bit for bit`).to.equal(true);
              } else {
                expect(maxAbsDiff(w1.data, w2), `step ${step} parameters`).to.be.at.most(t.float32StepAbs * (step + 1));
              }
            }
            // The backend really changed the parameters (the update is not lost in rounding).
            expect(relL2(w1.data, original, 0, n)).to.be.greaterThan(1e-5);
            b.expectWorked(backend, since, zeroCopy, plan);
            expect(s1 === null).to.equal(ref.momentum === null);
            if (s1 !== null && ref.momentum !== null) {
              const t = b.tolerance;
              const m1 = momentumValues(s1);
              expect(m1.length).to.equal(ref.momentum.length);
              if (t.kind === 'float32') {
                for (const s of plan.segments) expect(relL2(m1, ref.momentum, s.start, s.end), `momentum of layer ${s.index}`).to.be.at.most(t.momentumRelL2);
              } else if (dtype === 'float64') expect(sameBits(m1, ref.momentum), 'momentum bit for bit').to.equal(true);
              else expect(maxAbsDiff(m1, ref.momentum)).to.be.at.most(t.float32StepAbs);
            }
          } finally {
            s1?.dispose();
            backend.dispose();
          }
        });
      }
    }
  }
});
