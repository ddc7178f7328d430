import { expect } from 'chai';
import { Vector, type NumericType, type Vector as V } from '../../src/index.js';
import { WasmBackend } from '../../src/backends/wasm/WasmBackend.js';
import { allocateCoefficients } from '../../src/core/LayerCoefficients.js';
import { buildLayerPlan } from '../../src/core/LayerPlan.js';

// Ordinary vectors are copied into WebAssembly memory chunk by chunk by
// layerNorms (32,768 elements a chunk, sums carried across chunks) and the copy
// is reused by updateNorms and applyUpdate for the same arrays; norms, update
// norms, parameters and momentum must equal the zero-copy step bit for bit,
// for layers of ragged sizes (some longer than a chunk), with only one of the
// two operands in WebAssembly memory, for views that start at an odd offset
// in their buffer, and when the update gets other arrays than layerNorms.

function values(n: number, seed: number, scale: number): Float64Array {
  let s = seed >>> 0 || 1;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = ((s >>> 0) / 4294967296 - 0.5) * 2 * scale;
  }
  return out;
}

const N = 200_003;
const plan = buildLayerPlan(N, { layerBoundaries: [5, 65_541, 65_542, 180_000], skipLARSLayers: null, excludeBiasFromLARS: false, optimBits: 32, min8bitSize: 4096 });

function coefficients(layers: number, nesterov: boolean) {
  const c = allocateCoefficients(layers);
  for (let l = 0; l < layers; l++) {
    c.gradScale[l] = 1 + 0.01 * l;
    c.decay[l] = 1e-3 * (l + 1);
    c.bufferMomentum[l] = 0.9;
    c.bufferGain[l] = 0.5 + 0.1 * l;
    c.fromBuffer[l] = nesterov ? 0.9 : 1;
    c.fromDirection[l] = nesterov ? 0.3 : 0;
    c.stepScale[l] = 0.1;
  }
  return c;
}

const bits = (v: V | Float32Array | Float64Array): number[] => Array.from(v instanceof Float32Array || v instanceof Float64Array ? v : v.data);

for (const dtype of ['float32', 'float64'] as NumericType[]) {
  for (const placed of ['neither', 'params only', 'grads only'] as const) {
    it(`WasmBackend steps ordinary vectors bit-identically to zero-copy (${dtype}, in memory: ${placed})`, () => {
      const zero = WasmBackend.create()!;
      const streamed = WasmBackend.create()!;
      expect(zero.placesVectors, 'a shared memory here').to.equal(true);
      const place = (backend: WasmBackend, data: Float64Array, inMemory: boolean): V => {
        if (!inMemory) return Vector.from(data, dtype);
        const v = backend.allocateVector(N, dtype);
        v.data.set(data);
        return v;
      };
      const w0 = values(N, 1, 2);
      const wa = place(zero, w0, true);
      const wb = place(streamed, w0, placed === 'params only');
      const sa = zero.createState(plan, dtype);
      const sb = streamed.createState(plan, dtype);
      for (let step = 0; step < 3; step++) {
        const g = values(N, 10 + step, 0.05);
        const ga = place(zero, g, true);
        const gb = place(streamed, g, placed === 'grads only');
        expect(bits(streamed.layerNorms(plan, wb, gb))).to.deep.equal(bits(zero.layerNorms(plan, wa, ga)));
        const c = coefficients(plan.segments.length, step === 2);
        expect(bits(streamed.updateNorms(plan, c, wb, gb, sb))).to.deep.equal(bits(zero.updateNorms(plan, c, wa, ga, sa)));
        expect(bits(streamed.updateNorms(plan, c, wb, gb, null))).to.deep.equal(bits(zero.updateNorms(plan, c, wa, ga, null)));
        streamed.applyUpdate(plan, c, wb, gb, sb);
        zero.applyUpdate(plan, c, wa, ga, sa);
        expect(bits(wb)).to.deep.equal(bits(wa));
      }
      const state = (s: ReturnType<WasmBackend['createState']>) => s.snapshot().layers.flatMap((x) => (x.bits === 32 ? Array.from(x.values) : []));
      expect(state(sb)).to.deep.equal(state(sa));
      // and without momentum
      const c = coefficients(plan.segments.length, false);
      streamed.applyUpdate(plan, c, wb, place(streamed, values(N, 99, 0.05), placed === 'grads only'), null);
      zero.applyUpdate(plan, c, wa, place(zero, values(N, 99, 0.05), true), null);
      expect(bits(wb)).to.deep.equal(bits(wa));
      zero.dispose();
      streamed.dispose();
    });
  }
}

/** `data` in a new buffer, `shift` elements from its start (a view not aligned to 8 or 64 bytes for float32). */
function shifted(data: Float64Array, dtype: NumericType, shift: number): V {
  const array = dtype === 'float32' ? new Float32Array(data.length + shift).subarray(shift) : new Float64Array(data.length + shift).subarray(shift);
  array.set(data);
  return new Vector(array) as V;
}

for (const dtype of ['float32', 'float64'] as NumericType[]) {
  it(`WasmBackend steps views at odd offsets bit-identically to zero-copy (${dtype})`, () => {
    const zero = WasmBackend.create()!;
    const copied = WasmBackend.create()!;
    const w0 = values(N, 3, 1);
    const wa = zero.allocateVector(N, dtype);
    wa.data.set(w0);
    const wb = shifted(w0, dtype, 1);
    const sa = zero.createState(plan, dtype);
    const sb = copied.createState(plan, dtype);
    for (let step = 0; step < 2; step++) {
      const g = values(N, 20 + step, 0.05);
      const ga = zero.allocateVector(N, dtype);
      ga.data.set(g);
      const gb = shifted(g, dtype, 3);
      expect(bits(copied.layerNorms(plan, wb, gb))).to.deep.equal(bits(zero.layerNorms(plan, wa, ga)));
      const c = coefficients(plan.segments.length, false);
      copied.applyUpdate(plan, c, wb, gb, sb);
      zero.applyUpdate(plan, c, wa, ga, sa);
      expect(bits(wb)).to.deep.equal(bits(wa));
      zero.releaseVector(ga);
    }
    zero.dispose();
    copied.dispose();
  });

  it(`WasmBackend copies afresh when the update gets other arrays than layerNorms (${dtype})`, () => {
    const zero = WasmBackend.create()!;
    const copied = WasmBackend.create()!;
    const w0 = values(N, 5, 1);
    const wa = zero.allocateVector(N, dtype);
    wa.data.set(w0);
    const wb = Vector.from(w0, dtype);
    const sa = zero.createState(plan, dtype);
    const sb = copied.createState(plan, dtype);
    copied.layerNorms(plan, wb, Vector.from(values(N, 30, 0.05), dtype));
    // The update's gradient is another array with other values: the staged copy must not be used.
    const g = values(N, 31, 0.05);
    const ga = zero.allocateVector(N, dtype);
    ga.data.set(g);
    const gb = Vector.from(g, dtype);
    const c = coefficients(plan.segments.length, true);
    expect(bits(copied.updateNorms(plan, c, wb, gb, sb))).to.deep.equal(bits(zero.updateNorms(plan, c, wa, ga, sa)));
    copied.applyUpdate(plan, c, wb, gb, sb);
    zero.applyUpdate(plan, c, wa, ga, sa);
    expect(bits(wb)).to.deep.equal(bits(wa));
    zero.dispose();
    copied.dispose();
  });
}
