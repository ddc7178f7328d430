import { expect } from 'chai';
import { LARS32bit, LARS8bit, Vector, type FixedBitsKwargs, type ParameterLayout, type SavedOptimizerState } from '../../src/index.js';
import { createCpuBackend } from '../../src/backends/createCpuBackend.js';
import { GpuJsBackend } from '../../src/backends/gpujs/GpuJsBackend.js';
import { GpuQuantizedState } from '../../src/backends/gpujs/GpuQuantizedState.js';
import { CpuBackend } from '../../src/backends/js/CpuBackend.js';
import { allocateCoefficients } from '../../src/core/LayerCoefficients.js';
import { buildLayerPlan, PLAIN_PLAN } from '../../src/core/LayerPlan.js';
import { type OptimizerBackend } from '../../src/core/OptimizerBackend.js';
import { type LayerState } from '../../src/core/StateSnapshot.js';
import { ChunkLayout } from '../../src/backends/gpujs/ChunkLayout.js';
import type { GpuState } from '../../src/backends/gpujs/GpuState.js';
import { decodeBase64 } from '../../src/util/base64.js';
import { normal, normalFloat32 } from '../support/random.js';
import { checkEightBitTracking } from '../support/trackingCheck.js';
import { newGpuBackend, requireGpuOrSkip } from './gpuContext.js';
import { relL2 } from '../support/relativeError.js';
import { stateOf } from '../support/optimizerInternals.js';

/**
 * Tolerances of 8-bit GPU state against the CPU's 8-bit state, with
 * u = 2⁻²⁴ the float32 unit roundoff:
 *
 * - absmax: max|b| over a block, where b carries a few float32 roundings
 *   against the CPU's float64 b (rounded once to float32): relative 1e-6 (≈ 17u).
 * - codes: the GPU's quotient q = b/absmax differs from the CPU's by a few u,
 *   so where q lies that close to a midpoint the two pick neighbouring codes.
 *   Each element's quotient is within ~1e-6 of a midpoint with probability
 *   ~ 1e-6 / (midpoint spacing ≥ 1e-4) per step, so the test allows one in
 *   2000 elements off by one code (cumulative, per step) and none further.
 * - parameters: float32 rounding of the update (as in gpuParity.test.ts,
 *   1e-6 of ‖w‖ per layer) plus, after a code differs, a step of one code
 *   in the momentum (≤ 0.03·absmax, times lr); per-layer relative L2 1e-5.
 */
const ABSMAX_REL = 1e-6;
const OFF_BY_ONE_RATE = 1 / 2000;
const PARAM_REL_L2 = 1e-5;

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

/** The saved state's layers, decoded. */
function layersOf(saved: SavedOptimizerState): LayerState[] {
  return saved.momentum!.map((m) =>
    m.bits === 8
      ? { bits: 8 as const, codes: decodeBase64(m.codes), absmax: new Float32Array(decodeBase64(m.absmax).buffer) }
      : { bits: 32 as const, values: new Float32Array(decodeBase64(m.values).buffer) },
  );
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

  it('tracks a 32-bit run within bitsandbytes’ bounds over 100 re-synced steps (layers >= 4096)', () => {
    const gpu = newGpuBackend();
    let launches = gpu.launches;
    const opt8 = checkEightBitTracking(() => gpu, {
      label: 'GPU',
      // The 32-bit reference on the CPU, started from the 8-bit run's exact position.
      reference: () => new CpuBackend(),
      afterStep: (step) => {
        expect(gpu.launches, `step ${step} ran kernels`).to.be.greaterThan(launches);
        launches = gpu.launches;
      },
    });
    expect(opt8.backendName).to.equal('headlessgl');
    expect(quantizedStateOf(opt8 as LARS8bit<'float32'>)).to.be.instanceOf(GpuQuantizedState);
    opt8.dispose();
  });

  describe('agrees with the CPU backend’s 8-bit state, step by step', () => {
    const cases: [string, FixedBitsKwargs][] = [
      ['nesterov, weight decay, max_unorm 0.02', { lr: 0.05, momentum: 0.9, weight_decay: 1e-3, nesterov: true, max_unorm: 0.02 }],
      ['dampening, percentile clipping, no max_unorm', { lr: 0.05, momentum: 0.8, dampening: 0.3, percentile_clipping: 80, max_unorm: 0 }],
      ['every layer 8-bit (min_8bit_size 1), max_unorm 0.005', { lr: 0.1, momentum: 0.95, weight_decay: 5e-4, min_8bit_size: 1, max_unorm: 0.005 }],
    ];
    cases.forEach(([name, kwargs], k) => {
      it(name, () => {
        const gpu = run8(MIXED_LAYOUT, kwargs, newGpuBackend());
        const cpu = run8(MIXED_LAYOUT, kwargs, new CpuBackend());
        const wG = mixedParams(20 + k);
        const wC = wG.clone();
        const rnd = normal(30 + k);
        const n8 = MIXED_LAYOUT.filter((t) => t.size >= (kwargs.min_8bit_size ?? 4096)).reduce((a, t) => a + t.size, 0);
        const before = (gpu.backend as GpuJsBackend).launches;
        let offByOne = 0;
        for (let step = 0; step < 6; step++) {
          const g = mixedGradient(rnd);
          gpu.opt.step(wG, g);
          cpu.opt.step(wC, g);
          const plan = gpu.opt.layerPlan!;
          for (const s of plan.segments) {
            expect(relL2(wG.data, wC.data, s.start, s.end), `step ${step} params of ${s.name}`).to.be.at.most(PARAM_REL_L2);
          }
          const a = layersOf(gpu.opt.saveState());
          const b = layersOf(cpu.opt.saveState());
          offByOne = 0;
          a.forEach((la, l) => {
            const lb = b[l];
            expect(la.bits, `layer ${l} bits`).to.equal(lb.bits);
            expect(la.bits).to.equal(plan.segments[l].stateBits);
            if (la.bits === 8 && lb.bits === 8) {
              expect(la.codes.length).to.equal(lb.codes.length);
              for (let i = 0; i < la.codes.length; i++) {
                const d = Math.abs(la.codes[i] - lb.codes[i]);
                expect(d, `step ${step} layer ${l} code ${i}`).to.be.at.most(1);
                offByOne += d;
              }
              expect(la.absmax.length).to.equal(lb.absmax.length);
              for (let j = 0; j < la.absmax.length; j++) {
                expect(Math.abs(la.absmax[j] - lb.absmax[j]), `step ${step} layer ${l} absmax ${j}`).to.be.at.most(ABSMAX_REL * lb.absmax[j]);
              }
            } else if (la.bits === 32 && lb.bits === 32) {
              expect(relL2(la.values, lb.values, 0, lb.values.length), `step ${step} momentum of layer ${l}`).to.be.at.most(1e-5);
            }
          });
          expect(offByOne, `step ${step}: codes off by one`).to.be.at.most(OFF_BY_ONE_RATE * n8);
        }
        // The zero layer stays a zero block: absmax 0 and the zero code, on both.
        const frozen = layersOf(gpu.opt.saveState())[3];
        expect(frozen.bits).to.equal(8);
        if (frozen.bits === 8) {
          expect(Array.from(frozen.absmax).every((x) => x === 0)).to.equal(true);
          expect(Array.from(frozen.codes).every((c) => c === 127)).to.equal(true);
        }
        console.log(`      ${name}: ${offByOne} of ${n8} codes off by one after 6 steps`);
        expect(gpu.warnings).to.deep.equal([]);
        expect(gpu.opt.backendName).to.equal('headlessgl');
        expect((gpu.backend as GpuJsBackend).launches - before).to.be.at.least(6 * 5);
        gpu.opt.dispose();
      });
    });
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

  it('restore refuses a snapshot that does not fit, checking every layer before changing the device state', () => {
    const { opt, backend } = run8(MIXED_LAYOUT, KWARGS, newGpuBackend());
    opt.step(mixedParams(70), mixedGradient(normal(71)));
    const snapshot = quantizedStateOf(opt).snapshot();
    const target = backend.createState(opt.layerPlan!, 'float32');
    expect(target).to.be.an.instanceOf(GpuQuantizedState);
    const empty = target.snapshot();
    const layers = snapshot.layers;
    // A bad last layer must not let the earlier ones be written.
    const badLast = { ...snapshot, layers: [...layers.slice(0, 4), { bits: 8 as const, codes: new Uint8Array(7), absmax: new Float32Array(1) }] };
    expect(() => target.restore(badLast)).to.throw(/layer 4 is 8-bit, but this optimizer keeps it 32-bit/);
    const negative = { ...snapshot, layers: layers.map((x, l) => (l === 1 && x.bits === 8 ? { ...x, absmax: x.absmax.map((a, i) => (i === 5 ? -1 : a)) } : x)) };
    expect(() => target.restore(negative)).to.throw(/layer 1 has absmax -1/);
    const short = { ...snapshot, layers: layers.map((x, l) => (l === 0 && x.bits === 8 ? { ...x, absmax: x.absmax.slice(1) } : x)) };
    expect(() => target.restore(short)).to.throw(/layer 0 has 31 absmax value\(s\), expected 32/);
    expect(target.snapshot()).to.deep.equal(empty);
    target.restore(snapshot);
    expect(target.snapshot()).to.deep.equal(snapshot);
    target.dispose();
    opt.dispose();
  });

  it('saveState on the GPU continues bit-identically in a fresh GPU optimizer, and on the CPU', () => {
    const kwargs = { ...KWARGS, percentile_clipping: 90, nesterov: true };
    const a = run8(MIXED_LAYOUT, kwargs, newGpuBackend());
    const rnd = normal(50);
    const grads = Array.from({ length: 8 }, () => mixedGradient(rnd));
    const wa = mixedParams(51);
    for (let s = 0; s < 4; s++) a.opt.step(wa, grads[s]);
    const saved = JSON.parse(JSON.stringify(a.opt.saveState())) as SavedOptimizerState;
    expect(saved.momentum!.map((m) => m.bits)).to.deep.equal([8, 8, 32, 8, 32]);

    const b = run8(MIXED_LAYOUT, kwargs, newGpuBackend());
    b.opt.loadState(saved);
    expect(b.opt.saveState()).to.deep.equal(saved);
    const c = run8(MIXED_LAYOUT, kwargs, new CpuBackend());
    c.opt.loadState(saved);
    expect(c.opt.saveState()).to.deep.equal(saved);
    const wb = wa.clone();
    const wc = wa.clone();
    for (let s = 4; s < 8; s++) {
      a.opt.step(wa, grads[s]);
      b.opt.step(wb, grads[s]);
      c.opt.step(wc, grads[s]);
    }
    expect(Buffer.from(wb.data.buffer).equals(Buffer.from(wa.data.buffer))).to.equal(true);
    expect(b.opt.saveState()).to.deep.equal(a.opt.saveState());
    for (const s of a.opt.layerPlan!.segments) expect(relL2(wc.data, wa.data, s.start, s.end), s.name).to.be.at.most(PARAM_REL_L2);
    // And back: the CPU's state loads onto the GPU exactly.
    const d = run8(MIXED_LAYOUT, kwargs, newGpuBackend());
    const fromCpu = c.opt.saveState();
    d.opt.loadState(fromCpu);
    expect(d.opt.saveState()).to.deep.equal(fromCpu);
    for (const r of [a, b, d]) {
      expect(r.warnings).to.deep.equal([]);
      expect(r.opt.backendName).to.equal('headlessgl');
      r.opt.dispose();
    }
  });

  it('a kernel failing mid-run moves to the CPU with a warning, carrying the 8-bit state exactly', () => {
    // max_unorm 0: the coefficients do not depend on the (float32) GPU norms, so the CPU's continuation is comparable bit for bit.
    const kwargs = { ...KWARGS, max_unorm: 0 };
    const gpu = run8(MIXED_LAYOUT, kwargs, newGpuBackend());
    const rnd = normal(60);
    const w = mixedParams(61);
    for (let s = 0; s < 3; s++) gpu.opt.step(w, mixedGradient(rnd));
    const committed = gpu.opt.saveState();
    const wBefore = w.clone();
    const resources = (gpu.backend as unknown as { resources: { quantized: { kernels: Record<string, unknown> } } }).resources;
    resources.quantized.kernels.params = () => {
      throw new Error('forced GPU failure');
    };
    const g = mixedGradient(rnd);
    gpu.opt.step(w, g);
    expect(gpu.warnings).to.have.length(1);
    expect(gpu.warnings[0]).to.match(/headlessgl failed \(forced GPU failure\); continuing on the CPU/);
    // It lands on the fastest CPU backend that holds 8-bit state (WebAssembly once it does, else the JS loops).
    const landing = [createCpuBackend()].map((b) => (b.supportsStateBits(8) ? b : new CpuBackend()))[0];
    expect(gpu.opt.backendName).to.equal(landing.name);
    // The CPU continued from the last committed GPU state: the same as a CPU optimizer loaded with it.
    const cpu = run8(MIXED_LAYOUT, kwargs, landing);
    cpu.opt.loadState(committed);
    cpu.opt.step(wBefore, g);
    expect(Buffer.from(w.data.buffer).equals(Buffer.from(wBefore.data.buffer))).to.equal(true);
    expect(gpu.opt.saveState()).to.deep.equal(cpu.opt.saveState());
    expect(gpu.opt.saveState().momentum!.map((m) => m.bits)).to.deep.equal([8, 8, 32, 8, 32]);
    gpu.opt.dispose();
  });
});
