import { expect } from 'chai';
import { LARSOptimizer, presets, Vector } from '../../src/index.js';
import { createCpuBackend } from '../../src/backends/createCpuBackend.js';
import { CpuBackend } from '../../src/backends/js/CpuBackend.js';
import { WasmBackend } from '../../src/backends/wasm/WasmBackend.js';
import { buildLayerPlan, type LayerPlan, PLAIN_PLAN } from '../../src/core/LayerPlan.js';

/** Deterministic values in [-scale, scale). */
function random(n: number, seed: number, scale = 1): number[] {
  let s = seed >>> 0 || 1;
  return Array.from({ length: n }, () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) / 4294967296 - 0.5) * 2 * scale;
  });
}

/** Layers of awkward sizes (not multiples of 4, a 1-element and an empty-ish layer). */
function plan(): LayerPlan {
  return buildLayerPlan(2051, {
    layerBoundaries: [7, 8, 1030, 1033],
    skipLARSLayers: null,
    excludeBiasFromLARS: false,
    optimBits: 32,
    min8bitSize: 4096,
  });
}

const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

// Parity with the JS loops (norms, update norms, parameters and state over several steps) and the
// golden replay run for every backend in test/conformance/; this file keeps what only WebAssembly has.

describe('WebAssembly memory and zero-copy vectors', () => {
  it('keeps earlier vectors valid and in place when the memory grows', () => {
    const wasm = WasmBackend.create()!;
    const p = plan();
    const w = wasm.allocateVector(p.length, 'float64');
    w.data.set(random(p.length, 5));
    const before = wasm.heap.memory.buffer.byteLength;
    const big = wasm.allocateVector(4 << 20, 'float64');
    expect(wasm.heap.memory.buffer.byteLength).to.be.greaterThan(before);
    expect(w.data.length).to.equal(p.length);
    expect(wasm.heap.addressOf(w.data)).to.not.equal(null);
    const g = Vector.from(random(p.length, 6), 'float64');
    const expected = new CpuBackend().layerNorms(p, w.clone(), g);
    const got = wasm.layerNorms(p, w, g);
    got.forEach((x, i) => expect(Math.abs(x - expected[i])).to.be.at.most(1e-12 * expected[i]));
    wasm.releaseVector(big);
  });

  it('reuses released memory, zeroed', () => {
    const wasm = WasmBackend.create()!;
    const a = wasm.allocateVector(1000, 'float32');
    a.data.fill(7);
    const address = a.data.byteOffset;
    wasm.releaseVector(a);
    const b = wasm.allocateVector(1000, 'float32');
    expect(b.data.byteOffset).to.equal(address);
    expect(Array.from(b.data).every((x) => x === 0)).to.equal(true);
  });

  it('hands out ordinary vectors over an ordinary memory, and still computes', () => {
    const wasm = WasmBackend.create(false)!;
    expect(wasm.heap.shared).to.equal(false);
    const v = wasm.allocateVector(10, 'float32');
    expect(v.data.buffer instanceof ArrayBuffer).to.equal(true);
    const p = buildLayerPlan(10, PLAIN_PLAN);
    v.data.set(random(10, 7));
    const norms = wasm.layerNorms(p, v, v);
    expect(norms[0]).to.be.closeTo(Array.from(v.data).reduce((s, x) => s + x * x, 0), 1e-12);
  });

  it('is what createCpuBackend picks where WebAssembly SIMD exists', () => {
    expect(createCpuBackend().name).to.equal('wasm-simd');
  });

  it("gives an optimizer's allocateVector vectors that step like ordinary ones, and state that moves to the JS backend", () => {
    const layout = [
      { name: 'a', size: 301, kind: 'weight' as const },
      { name: 'b', size: 17, kind: 'bias' as const },
    ];
    const options = presets.timm({ lr: 0.1, momentum: 0.9, weight_decay: 1e-4 });
    const fast = new LARSOptimizer<'float64'>(null, options, { layout, backend: WasmBackend.create()! });
    const slow = new LARSOptimizer<'float64'>(null, options, { layout, backend: new CpuBackend() });
    const w1 = fast.allocateVector(318, 'float64');
    const g1 = fast.allocateVector(318, 'float64');
    w1.data.set(random(318, 8));
    const w2 = w1.clone();
    for (let step = 0; step < 3; step++) {
      g1.data.set(random(318, 30 + step, 0.1));
      fast.step(w1, g1);
      slow.step(w2, g1.clone());
    }
    // Norms are summed in another order, so trust ratios differ in the last bits.
    expect(maxAbs(w1.data, w2.data)).to.be.at.most(1e-14);
    const moved = new LARSOptimizer<'float64'>(null, options, { layout, backend: new CpuBackend() });
    moved.loadState(JSON.parse(JSON.stringify(fast.saveState())));
    expect(moved.saveState()).to.deep.equal(fast.saveState());
    expect(moved.iterations).to.equal(3);
  });
});
