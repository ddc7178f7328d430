import { expect } from 'chai';
import { LARS32bit, LARS8bit, Vector, type FixedBitsKwargs, type ParameterLayout } from '../../src/index.js';
import { GpuQuantizedState } from '../../src/backends/gpujs/GpuQuantizedState.js';
import { type OptimizerBackend } from '../../src/core/OptimizerBackend.js';
import type { GpuState } from '../../src/backends/gpujs/GpuState.js';
import { normal, normalFloat32 } from '../support/random.js';
import { newGpuBackend, requireGpuOrSkip } from './gpuContext.js';
import { stateOf } from '../support/optimizerInternals.js';

// The 8-bit scenarios every backend shares (step-by-step parity with the JS loops at optimizer and
// backend level, tracking against 32-bit, save/restore, snapshot refusal, kernel failure) run in
// test/conformance/ with the gpu.js row's float32 tolerances; this file keeps the texture packing.
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
