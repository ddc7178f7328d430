import { expect } from 'chai';
import {
  allocateCoefficients,
  buildLayerPlan,
  CpuBackend,
  createCpuBackend,
  LARSOptimizer,
  presets,
  Vector,
  WasmBackend,
  type LayerCoefficients,
  type LayerPlan,
  type NumericType,
} from '../../src/index.js';
import { okRuns, replayRun } from '../support/replay.js';

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

function coefficients(layers: number, seed: number): LayerCoefficients {
  const c = allocateCoefficients(layers);
  const r = random(7 * layers, seed);
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
}

const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

for (const zeroCopy of [true, false]) {
  for (const dtype of ['float32', 'float64'] as NumericType[]) {
    describe(`WasmBackend against the JS CpuBackend (${dtype}, ${zeroCopy ? 'zero-copy' : 'copy in/out'})`, () => {
      const p = plan();
      const n = p.length;
      const wasm = WasmBackend.create()!;
      const vec = (values: number[]) => {
        if (!zeroCopy) return Vector.from(values, dtype);
        const v = wasm.allocateVector(n, dtype);
        v.data.set(values);
        return v;
      };

      it('runs on WebAssembly SIMD here, with vectors in its memory when zero-copy', () => {
        expect(wasm).to.not.equal(null);
        expect(wasm.heap.addressOf(vec(random(n, 1)).data) !== null).to.equal(zeroCopy);
      });

      it('gives per-layer norms within n·2⁻⁵³ relative (reordered float64 sums)', () => {
        const w = vec(random(n, 2, 3));
        const g = vec(random(n, 3, 0.01));
        const a = wasm.layerNorms(p, w, g);
        const b = new CpuBackend().layerNorms(p, Vector.from(w.data, dtype), Vector.from(g.data, dtype));
        p.segments.forEach((s, l) => {
          const bound = (s.end - s.start) * 2 ** -53;
          for (const j of [2 * l, 2 * l + 1]) expect(Math.abs(a[j] - b[j])).to.be.at.most(bound * b[j]);
        });
      });

      for (const momentum of [true, false]) {
        it(`updates parameters and state over 5 steps ${momentum ? 'with' : 'without'} momentum to the stated bound`, () => {
          const cpu = new CpuBackend();
          const w1 = vec(random(n, 4, 2));
          const w2 = Vector.from(w1.data, dtype);
          const s1 = momentum ? wasm.createState(p, dtype) : null;
          const s2 = momentum ? cpu.createState(p, dtype) : null;
          for (let step = 0; step < 5; step++) {
            const g = random(n, 10 + step, 0.5);
            const c = coefficients(p.segments.length, 20 + step);
            const g1 = vec(g);
            const g2 = Vector.from(g, dtype);
            const u1 = wasm.updateNorms(p, c, w1, g1, s1);
            const u2 = cpu.updateNorms(p, c, w2, g2, s2);
            wasm.applyUpdate(p, c, w1, g1, s1);
            cpu.applyUpdate(p, c, w2, g2, s2);
            // Same float64 operations in the same order (float32 values promoted on load, rounded once on store): bit for bit.
            expect(Array.from(w1.data)).to.deep.equal(Array.from(w2.data));
            u2.forEach((u, l) => expect(Math.abs(u1[l] - u)).to.be.at.most(2051 * 2 ** -53 * u));
          }
          if (momentum) {
            const b1 = s1!.snapshot().layers.flatMap((x) => (x.bits === 32 ? Array.from(x.values) : []));
            const b2 = s2!.snapshot().layers.flatMap((x) => (x.bits === 32 ? Array.from(x.values) : []));
            expect(b1).to.deep.equal(b2);
          }
        });
      }
    });
  }
}

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
    const p = buildLayerPlan(10, { layerBoundaries: null, skipLARSLayers: null, excludeBiasFromLARS: false, optimBits: 32, min8bitSize: 4096 });
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

describe('golden replay on the WebAssembly backend (float64)', () => {
  for (const { peer, run } of okRuns()) {
    it(`${run.id} matches params_after at every step to 1e-12`, () => {
      const { maxAbs: err } = replayRun(peer, run, 'float64', WasmBackend.create()!);
      expect(err).to.be.at.most(1e-12);
    });
  }
});
