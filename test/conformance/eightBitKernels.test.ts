import { expect } from 'chai';
import { Vector, type NumericType } from '../../src/index.js';
import { CpuBackend } from '../../src/backends/js/CpuBackend.js';
import { ChunkLayout } from '../../src/backends/gpujs/ChunkLayout.js';
import { allocateCoefficients, type LayerCoefficients } from '../../src/core/LayerCoefficients.js';
import { buildLayerPlan, PLAIN_PLAN, type LayerPlan } from '../../src/core/LayerPlan.js';
import { type BackendState, type OptimizerBackend } from '../../src/core/OptimizerBackend.js';
import { normal, normalFloat32 } from '../support/random.js';
import { relL2 } from '../support/relativeError.js';
import { forEachBackend } from './backendTable.js';
import { bytesOf, gradient, maxAbsDiff, MIXED_LAYOUT, ODD_LAYOUT, startWeights } from './eightBitFixtures.js';

const U32 = 2 ** -24;

/** One backend-level 8-bit scenario: a plan, where the state starts, the steps' data. */
interface Case {
  readonly name: string;
  readonly plan: LayerPlan;
  readonly steps: number;
  /** The state bits of its layers. */
  readonly bits: readonly number[];
  /** The layer whose weights and gradients are all zero (its Σu² is 0), or null. */
  readonly frozenLayer: number | null;
  /** Start weights, after preparing the JS state (which the backend's state then restores). */
  readonly start: (cpu: CpuBackend, state: BackendState, dtype: NumericType) => Float64Array;
  /** The gradient and coefficients of `step`. */
  readonly data: (step: number, dtype: NumericType) => { g: Vector; c: LayerCoefficients };
}

function oddCase(): Case {
  const plan = buildLayerPlan(ODD_LAYOUT.n, { ...PLAIN_PLAN, layerBoundaries: [8192, ODD_LAYOUT.frozen[0], ODD_LAYOUT.frozen[1]], optimBits: 8 });
  let rnd = normal(29);
  return {
    name: `fresh state, odd layout (${ODD_LAYOUT.n} elements), 6 steps with random coefficients`,
    plan, steps: 6, frozenLayer: ODD_LAYOUT.frozenLayer, bits: ODD_LAYOUT.bits,
    start: () => {
      rnd = normal(29);
      return Float64Array.from(startWeights(ODD_LAYOUT, 21));
    },
    data: (step, dtype) => {
      const g = gradient(ODD_LAYOUT, dtype, rnd, 0.01 * (1 + (step % 4)));
      const c = allocateCoefficients(plan.segments.length);
      for (let l = 0; l < plan.segments.length; l++) {
        c.gradScale[l] = 1 + 0.3 * rnd();
        c.decay[l] = 1e-3 * Math.abs(rnd());
        c.bufferMomentum[l] = step === 0 ? 0 : 0.9 + 0.05 * rnd();
        c.bufferGain[l] = 1 - 0.1 * Math.abs(rnd());
        c.fromBuffer[l] = 1 + 0.2 * rnd();
        c.fromDirection[l] = 0.3 * rnd();
        c.stepScale[l] = 0.05 * Math.abs(rnd());
      }
      return { g, c };
    },
  };
}

function restoredCase(): Case {
  const sizes = MIXED_LAYOUT.layout.map((t) => t.size);
  const n = MIXED_LAYOUT.n;
  const plan = buildLayerPlan(n, { ...PLAIN_PLAN, optimBits: 8 }, sizes.map((size, i) => ({ name: `t${i}`, size, kind: 'weight' as const })));
  const c = allocateCoefficients(sizes.length);
  sizes.forEach((_, l) => {
    c.gradScale[l] = 1 + 0.1 * l;
    c.decay[l] = 1e-3;
    c.bufferMomentum[l] = 0.9;
    c.bufferGain[l] = 0.8;
    c.fromBuffer[l] = 1;
    c.fromDirection[l] = 0.5;
    c.stepScale[l] = 0.05;
  });
  let rnd = normal(70);
  return {
    name: `state restored from 3 JS steps, mixed layout (${n} elements), 1 step`,
    plan, steps: 1, frozenLayer: null, bits: MIXED_LAYOUT.bits,
    start: (cpu, state, dtype) => {
      rnd = normal(70);
      const w = Vector.from(normalFloat32(n, rnd, 0.1), dtype);
      // A few JS steps give the state non-trivial codes and absmax.
      for (let step = 0; step < 3; step++) cpu.applyUpdate(plan, c, w, Vector.from(normalFloat32(n, rnd, 0.01), dtype), state);
      return Float64Array.from(w.data);
    },
    data: (_, dtype) => ({ g: Vector.from(normalFloat32(n, rnd, 0.01), dtype), c }),
  };
}

forEachBackend('backend-level 8-bit steps from the same state as the JS loops', (b) => {
  if (b.isReference) return;
  for (const make of [oddCase, restoredCase]) {
    const k = make();
    if (k.steps > b.maxSteps) continue;
    for (const dtype of b.dtypes) {
      it(`${k.name} (${dtype}): update norms, norms, parameters and state`, async function () {
        this.timeout(120_000);
        const c = make();
        const plan = c.plan;
        expect(plan.segments.map((s) => s.stateBits)).to.deep.equal(c.bits);
        const backend: OptimizerBackend = await b.create();
        const cpu = new CpuBackend();
        const sb = backend.createState(plan, dtype);
        const sc = cpu.createState(plan, dtype);
        expect(sb).to.be.an.instanceOf(b.quantizedState);
        const start = c.start(cpu, sc, dtype);
        sb.restore(sc.snapshot());
        expect(sb.snapshot()).to.deep.equal(sc.snapshot());
        const w1 = b.zeroCopy[0] ? (backend as unknown as { allocateVector(n: number, d: NumericType): Vector }).allocateVector(plan.length, dtype) : Vector.zeros(plan.length, dtype);
        w1.data.set(start);
        const w2 = Vector.from(start, dtype);
        const chunking = b.tolerance.kind === 'float32' ? new ChunkLayout(plan) : null;
        const n8 = plan.segments.filter((s) => s.stateBits === 8).reduce((a, s) => a + s.end - s.start, 0);
        try {
          for (let step = 0; step < c.steps; step++) {
            const { g, c: coefficients } = c.data(step, dtype);
            const before = b.work(backend);
            const u1 = backend.updateNorms(plan, coefficients, w1, g, sb);
            const u2 = cpu.updateNorms(plan, coefficients, w2, g, sc);
            const n1 = backend.layerNorms(plan, w1, g);
            const n2 = cpu.layerNorms(plan, Vector.from(w1.data, dtype), g);
            backend.applyUpdate(plan, coefficients, w1, g, sb);
            cpu.applyUpdate(plan, coefficients, w2, g, sc);
            expect(b.work(backend) - before, `step ${step}: work`).to.be.at.least(b.minWorkPerKernelStep);
            expect(u1[0]).to.be.greaterThan(0);
            const t = b.tolerance;
            const a = sb.snapshot().layers;
            const r = sc.snapshot().layers;
            for (const s of plan.segments) {
              const l = s.index;
              const size = s.end - s.start;
              if (t.kind === 'float32') {
                // A two-level float32 sum of (chunk + chunks) terms, each with a few roundings.
                const bound = (chunking!.chunkSize + chunking!.chunkCount[l] + 8) * U32;
                if (l !== c.frozenLayer) expect(u2[l]).to.be.greaterThan(0);
                expect(Math.abs(u1[l] - u2[l]), `step ${step}: update norm of layer ${l}`).to.be.at.most(bound * u2[l]);
                for (const j of [2 * l, 2 * l + 1]) expect(Math.abs(n1[j] - n2[j]), `step ${step}: norm ${j}`).to.be.at.most((chunking!.chunkSize + chunking!.chunkCount[l] + 1) * U32 * n2[j]);
                expect(relL2(w1.data, w2.data, s.start, s.end), `step ${step}: params of layer ${l}`).to.be.at.most(t.kernelParamRelL2);
              } else {
                for (const j of [2 * l, 2 * l + 1]) expect(Math.abs(n1[j] - n2[j]), `step ${step}: norm ${j}`).to.be.at.most(t.sumUlps * size * 2 ** -53 * n2[j]);
                if (s.stateBits === 8 || dtype === 'float64') {
                  // 8-bit layers (and float64 float layers): the same operations in the same order.
                  if (s.stateBits === 8) expect(u1[l], `step ${step}: Σu² of layer ${l}`).to.equal(u2[l]);
                  else expect(Math.abs(u1[l] - u2[l]), `step ${step}: Σu² of layer ${l}`).to.be.at.most(t.sumUlps * plan.length * 2 ** -53 * u2[l]);
                  expect(bytesOf(w1.data, s.start, s.end).equals(bytesOf(w2.data, s.start, s.end)), `step ${step}: layer ${l}`).to.equal(true);
                } else {
                  expect(Math.abs(u1[l] - u2[l]), `step ${step}: Σu² of layer ${l}`).to.be.at.most(2 ** -18 * u2[l] + 1e-30);
                  expect(maxAbsDiff(w1.data, w2.data, s.start, s.end), `step ${step}: layer ${l}`).to.be.at.most(t.float32StepAbs * (step + 1));
                }
              }
            }
            let off = 0;
            a.forEach((x, l) => {
              const y = r[l];
              expect(x.bits, `layer ${l} bits`).to.equal(y.bits);
              if (x.bits === 8 && y.bits === 8) {
                if (t.kind === 'exact') expect(x, `step ${step}: state of layer ${l}`).to.deep.equal(y);
                else {
                  x.codes.forEach((code, i) => {
                    expect(Math.abs(code - y.codes[i])).to.be.at.most(1);
                    if (code !== y.codes[i]) off++;
                  });
                  x.absmax.forEach((v, j) => expect(Math.abs(v - y.absmax[j])).to.be.at.most(t.absmaxRel * y.absmax[j]));
                }
              } else if (x.bits === 32 && y.bits === 32) {
                if (t.kind === 'float32') expect(relL2(x.values, y.values, 0, y.values.length), `step ${step}: momentum of layer ${l}`).to.be.at.most(t.momentumRelL2);
                else if (dtype === 'float64') expect(bytesOf(x.values).equals(bytesOf(y.values)), `step ${step}: momentum of layer ${l}`).to.equal(true);
                else expect(maxAbsDiff(x.values, y.values), `step ${step}: momentum of layer ${l}`).to.be.at.most(t.float32StepAbs);
              }
            });
            if (t.kind === 'float32') expect(off, `step ${step}: codes off by one`).to.be.at.most(t.offByOneRate * n8);
          }
        } finally {
          sb.dispose();
          backend.dispose();
        }
      });
    }
  }
}, true);
