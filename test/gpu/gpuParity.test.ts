import { expect } from 'chai';
import { Vector } from '../../src/index.js';
import { CpuBackend } from '../../src/backends/js/CpuBackend.js';
import { randomCoefficients } from '../support/randomCoefficients.js';
import { buildLayerPlan, type LayerPlan, PLAIN_PLAN } from '../../src/core/LayerPlan.js';
import { ChunkLayout } from '../../src/backends/gpujs/ChunkLayout.js';
import { fillRandom, newGpuBackend, requireGpuOrSkip } from './gpuContext.js';
import { relL2 } from '../support/relativeError.js';

/**
 * Float32 tolerances of the GPU against the CPU backend (which accumulates in
 * float64 and rounds once per stored element), with u = 2⁻²⁴ the float32 unit
 * roundoff:
 *
 * - norms: the GPU sums a layer's squares in two float32 levels, at most
 *   `chunkSize` terms per chunk, then at most `chunks` partials. Recursive
 *   summation of positive terms has relative error ≤ (n−1)·u, squaring adds u,
 *   so the bound is (chunkSize + chunksPerLayer)·u (4.9e-4 for a 16M layer,
 *   3e-5 for 1-element layers: the test uses the layout's own bound).
 * - parameters: each element takes about eight float32 roundings (the
 *   coefficients, d, b, u, the product and the difference). Coefficients are
 *   kept so the update is at most about 10% of ‖w‖, so the per-layer L2 error
 *   stays ≤ u·‖w‖ (final rounding) + 8u·0.1·‖w‖ ≈ 1.4e-7·‖w‖; the test allows 1e-6.
 * - momentum: b = μ·buf + a·d carries the same eight roundings relative to its
 *   own terms, amplified when μ·buf and a·d cancel; per-layer L2 1e-5.
 */
const PARAM_TOLERANCE = 1e-6;
const MOMENTUM_TOLERANCE = 1e-5;
const UNIT_ROUNDOFF = 2 ** -24;

function planOf(sizes: number[]): LayerPlan {
  const n = sizes.reduce((a, b) => a + b, 0);
  return buildLayerPlan(
    n,
    PLAIN_PLAN,
    sizes.map((size, i) => ({ name: `t${i}`, size, kind: 'weight' as const })),
  );
}

// The layouts below a million elements (one element, 1-element layers, around the smallest chunk,
// 40 and 12 random sizes) run for every backend in test/conformance/kernelParity.test.ts; these two
// test the GPU's texture addressing (chunk counts past 2^24 elements).
const LAYOUTS: [string, number[]][] = [
  ['over 1M elements', [3, 1_048_583, 1000, 1]],
  ['over 16M elements in one layer, past 2^24', [7, 16_777_259, 1]],
];

describe('gpu.js backend agrees with the CPU backend over random layouts (float32)', function () {
  this.timeout(120_000);
  before(function () {
    requireGpuOrSkip(this);
  });

  LAYOUTS.forEach(([name, sizes], i) => {
    const k = i + 5; // the seeds these layouts always had
    it(`${name} (${sizes.reduce((a, b) => a + b, 0)} elements, ${sizes.length} layers): norms, update norms, 2 fused steps`, () => {
      const plan = planOf(sizes);
      const n = plan.length;
      const layers = sizes.length;
      const chunking = new ChunkLayout(plan);
      const w = new Float32Array(n);
      const g = new Float32Array(n);
      fillRandom(w, 100 + k, 1);
      const original = w.slice();
      const r = new Float64Array(layers * 7);
      fillRandom(r, 200 + k);
      const c = randomCoefficients(layers, r);
      const gpu = newGpuBackend();
      const cpu = new CpuBackend();
      const wGpu = new Vector(w);
      const wCpu = new Vector(w.slice());
      const sGpu = gpu.createState(plan, 'float32');
      const sCpu = cpu.createState(plan, 'float32');
      try {
        for (let step = 0; step < 2; step++) {
          fillRandom(g, 300 + 10 * k + step, 0.5);
          const grads = new Vector(g);
          const nGpu = gpu.layerNorms(plan, wGpu, grads);
          const nCpu = cpu.layerNorms(plan, wCpu, grads);
          for (const s of plan.segments) {
            const bound = (chunking.chunkSize + chunking.chunkCount[s.index] + 1) * UNIT_ROUNDOFF;
            for (const i of [2 * s.index, 2 * s.index + 1]) {
              expect(Math.abs(nGpu[i] - nCpu[i]), `step ${step} norm ${i}`).to.be.at.most(bound * nCpu[i]);
            }
          }
          const uGpu = gpu.updateNorms(plan, c, wGpu, grads, sGpu);
          const uCpu = cpu.updateNorms(plan, c, wCpu, grads, sCpu);
          for (const s of plan.segments) {
            const bound = (chunking.chunkSize + chunking.chunkCount[s.index] + 8) * UNIT_ROUNDOFF;
            expect(Math.abs(uGpu[s.index] - uCpu[s.index]), `step ${step} update norm ${s.index}`).to.be.at.most(bound * uCpu[s.index] + 1e-30);
          }
          gpu.applyUpdate(plan, c, wGpu, grads, sGpu);
          cpu.applyUpdate(plan, c, wCpu, grads, sCpu);
          for (const s of plan.segments) {
            expect(relL2(wGpu.data, wCpu.data, s.start, s.end), `step ${step} params of layer ${s.index}`).to.be.at.most(PARAM_TOLERANCE);
          }
        }
        // The GPU really changed the parameters (the update is not lost in rounding).
        expect(relL2(wGpu.data, original, 0, n)).to.be.greaterThan(10 * PARAM_TOLERANCE);
        const mGpu = sGpu.snapshot();
        const mCpu = sCpu.snapshot();
        mGpu.layers.forEach((layer, l) => {
          const a = (layer as { values: Float32Array }).values;
          const b = (mCpu.layers[l] as { values: Float32Array }).values;
          expect(a.length).to.equal(b.length);
          expect(relL2(a, b, 0, a.length), `momentum of layer ${l}`).to.be.at.most(MOMENTUM_TOLERANCE);
        });
      } finally {
        sGpu.dispose();
        gpu.dispose();
      }
    });
  });
});
