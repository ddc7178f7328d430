import { expect } from 'chai';
import { LARS32bit, LARS8bit, Vector, type FixedBitsKwargs, type ParameterLayout } from '../../src/index.js';
import { GpuQuantizedState } from '../../src/backends/gpujs/GpuQuantizedState.js';
import { CpuBackend } from '../../src/backends/js/CpuBackend.js';
import { allocateCoefficients } from '../../src/core/LayerCoefficients.js';
import { buildLayerPlan, PLAIN_PLAN } from '../../src/core/LayerPlan.js';
import { type OptimizerBackend } from '../../src/core/OptimizerBackend.js';
import { ChunkLayout } from '../../src/backends/gpujs/ChunkLayout.js';
import type { GpuState } from '../../src/backends/gpujs/GpuState.js';
import { normal, normalFloat32 } from '../support/random.js';
import { newGpuBackend, requireGpuOrSkip } from './gpuContext.js';
import { relL2 } from '../support/relativeError.js';
import { stateOf } from '../support/optimizerInternals.js';
import { BACKENDS, type Tolerance } from '../conformance/backendTable.js';

/**
 * Tolerances of 8-bit GPU state against the CPU's 8-bit state: those of the
 * gpu.js row of the conformance table (test/conformance/backendTable.ts, where
 * they are explained), which also runs the optimizer-level 8-bit scenarios
 * (step-by-step parity, tracking, save/restore, snapshot refusal, kernel failure).
 */
const GPU_TOLERANCE = BACKENDS.find((b) => b.name === 'headlessgl')!.tolerance as Extract<Tolerance, { kind: 'float32' }>;
const ABSMAX_REL = GPU_TOLERANCE.absmaxRel;
const OFF_BY_ONE_RATE = GPU_TOLERANCE.offByOneRate;

const KWARGS = { lr: 0.01, momentum: 0.9, weight_decay: 1e-4 };

/** Every kind of layer: 8-bit, 8-bit not a multiple of 256, 32-bit (below min8bitSize), zero gradient and weights, a bias. */
const MIXED_LAYOUT: ParameterLayout = [
  { name: 'conv.weight', size: 8192, kind: 'weight' },
  { name: 'fc.weight', size: 5000, kind: 'weight' },
  { name: 'small.weight', size: 300, kind: 'weight' },
  { name: 'frozen.weight', size: 4100, kind: 'weight' },
  { name: 'fc.bias', size: 7, kind: 'bias' },
];
const MIXED_N = MIXED_LAYOUT.reduce((a, t) => a + t.size, 0);
const FROZEN = { start: 8192 + 5000 + 300, end: 8192 + 5000 + 300 + 4100 };

interface Run {
  readonly opt: LARS8bit<'float32'>;
  readonly warnings: string[];
  readonly backend: OptimizerBackend;
}

function run8(layout: ParameterLayout, kwargs: FixedBitsKwargs, backend: OptimizerBackend): Run {
  const warnings: string[] = [];
  const opt = new LARS8bit(layout, kwargs, {}, { backend, onWarning: (m) => warnings.push(m) }) as LARS8bit<'float32'>;
  return { opt, warnings, backend };
}

function quantizedStateOf(opt: LARS8bit<'float32'>): GpuQuantizedState {
  return stateOf<GpuQuantizedState>(opt);
}

/** Mixed-layout parameters: N(0, 0.1), the frozen layer all zero. */
function mixedParams(seed: number): Vector<'float32'> {
  const w = normalFloat32(MIXED_N, normal(seed), 0.1);
  w.fill(0, FROZEN.start, FROZEN.end);
  return new Vector(w);
}

/** Mixed-layout gradients: N(0, 0.01), zero on the frozen layer. */
function mixedGradient(rnd: () => number): Vector<'float32'> {
  const g = normalFloat32(MIXED_N, rnd, 0.01);
  g.fill(0, FROZEN.start, FROZEN.end);
  return new Vector(g);
}

describe('8-bit momentum state on the gpu.js backend (headless-gl)', function () {
  this.timeout(300_000);
  before(function () {
    requireGpuOrSkip(this);
  });

  it('backend level: update norms and one fused step from the same (restored) 8-bit state as the CPU', () => {
    const sizes = [8192, 5000, 300, 4100, 7];
    const n = sizes.reduce((a, b) => a + b, 0);
    const plan = buildLayerPlan(
      n,
      { ...PLAIN_PLAN, optimBits: 8 },
      sizes.map((size, i) => ({ name: `t${i}`, size, kind: 'weight' as const })),
    );
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
    const rnd = normal(70);
    const cpu = new CpuBackend();
    const sCpu = cpu.createState(plan, 'float32');
    const wC = new Vector(normalFloat32(n, rnd, 0.1));
    // A few CPU steps give the state non-trivial codes and absmax.
    for (let step = 0; step < 3; step++) cpu.applyUpdate(plan, c, wC, new Vector(normalFloat32(n, rnd, 0.01)), sCpu);
    const gpu = newGpuBackend();
    const sGpu = gpu.createState(plan, 'float32');
    expect(sGpu).to.be.instanceOf(GpuQuantizedState);
    sGpu.restore(sCpu.snapshot());
    expect(sGpu.snapshot()).to.deep.equal(sCpu.snapshot());
    const wG = wC.clone();
    const g = new Vector(normalFloat32(n, rnd, 0.01));
    const before = gpu.launches;
    const uG = gpu.updateNorms(plan, c, wG, g, sGpu);
    const uC = cpu.updateNorms(plan, c, wC, g, sCpu);
    const chunking = new ChunkLayout(plan);
    for (const s of plan.segments) {
      // A two-level float32 sum of (chunk + chunks) terms, each u² with a few roundings (as in gpuParity.test.ts).
      const bound = (chunking.chunkSize + chunking.chunkCount[s.index] + 8) * 2 ** -24;
      expect(uC[s.index]).to.be.greaterThan(0);
      expect(Math.abs(uG[s.index] - uC[s.index]), `update norm of layer ${s.index}`).to.be.at.most(bound * uC[s.index]);
    }
    gpu.layerNorms(plan, wG, g);
    gpu.applyUpdate(plan, c, wG, g, sGpu);
    cpu.applyUpdate(plan, c, wC, g, sCpu);
    expect(gpu.launches - before).to.be.at.least(7);
    for (const s of plan.segments) expect(relL2(wG.data, wC.data, s.start, s.end), `params of layer ${s.index}`).to.be.at.most(1e-6);
    const a = sGpu.snapshot();
    const b = sCpu.snapshot();
    let off = 0;
    a.layers.forEach((la, l) => {
      const lb = b.layers[l];
      if (la.bits === 8 && lb.bits === 8) {
        la.codes.forEach((code, i) => {
          expect(Math.abs(code - lb.codes[i])).to.be.at.most(1);
          if (code !== lb.codes[i]) off++;
        });
        la.absmax.forEach((x, j) => expect(Math.abs(x - lb.absmax[j])).to.be.at.most(ABSMAX_REL * lb.absmax[j]));
      }
    });
    expect(off).to.be.at.most(OFF_BY_ONE_RATE * (8192 + 5000 + 4100));
    sGpu.dispose();
    gpu.dispose();
  });

  it('stateBytes is the device memory of the state’s textures, about a third of 32-bit state', () => {
    const { opt } = run8(MIXED_LAYOUT, KWARGS, newGpuBackend());
    const w = mixedParams(40);
    opt.step(w, mixedGradient(normal(41)));
    const state = quantizedStateOf(opt);
    const textures = [state.textures.codes, state.textures.absmax, state.textures.floats!];
    const allocated = textures.reduce((sum, t) => {
      const size = (t as unknown as { size: number[] }).size;
      return sum + size[0] * size[1] * 16;
    }, 0);
    expect(opt.stateBytes()).to.equal(allocated);
    // What the layout needs: 86 words per 256-element block of the 8-bit rows, an absmax per block, the float rows.
    const L = state.layout;
    expect(L.rows8).to.equal(32 + 20 + 17);
    expect(L.rows32).to.equal(2 + 1);
    // gpu.js packs four values per 16-byte texel and rounds the texel count up to a near-square w·h (waste < √T + 1 texels).
    const values = [L.wordsPerRow * L.rows8, L.blocksPerRow * L.rows8, L.chunks.chunkSize * L.rows32];
    const needed = values.reduce((sum, v) => sum + 4 * v, 0);
    const most = values.reduce((sum, v) => {
      const texels = Math.ceil(v / 4);
      return sum + 16 * (texels + Math.ceil(Math.sqrt(texels)) + 1);
    }, 0);
    expect(opt.stateBytes()).to.be.at.least(needed);
    expect(opt.stateBytes()).to.be.at.most(most);
    const full = new LARS32bit(MIXED_LAYOUT, KWARGS, {}, { backend: newGpuBackend() });
    full.step(mixedParams(40), mixedGradient(normal(41)));
    const fullTexture = (stateOf<GpuState>(full).texture as unknown as { size: number[] }).size;
    expect(full.stateBytes()).to.equal(fullTexture[0] * fullTexture[1] * 16);
    expect(full.stateBytes()).to.be.at.least(4 * MIXED_N);
    console.log(
      `      8-bit GPU state ${opt.stateBytes()} B (${(opt.stateBytes() / MIXED_N).toFixed(3)} B/element) vs 32-bit ${full.stateBytes()} B`,
    );
    expect(opt.stateBytes()).to.be.below(0.4 * full.stateBytes());
    opt.dispose();
    full.dispose();
  });
});
