import { expect } from 'chai';
import { LARS8bit, LARSOptimizer, Vector, type NumericType, type OptimizerSetup, type ParameterLayout } from '../../src/index.js';
import { CpuBackend } from '../../src/backends/js/CpuBackend.js';
import { WasmBackend } from '../../src/backends/wasm/WasmBackend.js';
import { WasmQuantizedState } from '../../src/backends/wasm/WasmQuantizedState.js';
import { allocateCoefficients } from '../../src/core/LayerCoefficients.js';
import { buildLayerPlan, PLAIN_PLAN } from '../../src/core/LayerPlan.js';
import { SIGNED_CODE_BOOK } from '../../src/quantization/CodeBook.js';
import { normal, normalFloat32 } from '../support/random.js';
import { CpuBackendWithWasmNorms } from '../support/wasmNormsCpu.js';
import { recordStates } from '../support/recordStates.js';

const LAYOUT: ParameterLayout = [
  { name: 'conv.weight', size: 8192, kind: 'weight' }, // whole 256-blocks
  { name: 'fc.weight', size: 5001, kind: 'weight' }, // 19 blocks and a partial one of 137 (odd: the kernels' scalar tail)
  { name: 'frozen.weight', size: 4100, kind: 'weight' }, // zero weights, zero gradients
  { name: 'fc.bias', size: 100, kind: 'bias' }, // below min_8bit_size: 32-bit state
];
const N = LAYOUT.reduce((a, t) => a + t.size, 0);
const FROZEN = [8192 + 5001, 8192 + 5001 + 4100];

type Make = (setup: OptimizerSetup) => LARSOptimizer;

/** A WASM backend that records the states it creates, a warning sink, and the optimizer `make` builds on them. */
function onWasm(make: Make) {
  const backend = WasmBackend.create()!;
  const states = recordStates(backend);
  const warnings: string[] = [];
  const optimizer = make({ backend, onWarning: (m) => warnings.push(m) });
  return { backend, optimizer, states, warnings };
}

/** The JS CPU reference (with the WASM norms, so coefficients are the same) for `make`. */
function onJs(make: Make): LARSOptimizer {
  return make({ backend: new CpuBackendWithWasmNorms(), onWarning: (m) => expect.fail(`reference warned: ${m}`) });
}

function startWeights(): number[] {
  const w = Array.from(normalFloat32(N, normal(21), 0.1));
  for (let i = FROZEN[0]; i < FROZEN[1]; i++) w[i] = 0;
  return w;
}

function gradient(dtype: NumericType, rnd: () => number, step: number): Vector {
  const g = Float64Array.from(normalFloat32(N, rnd, 0.01 * (1 + (step % 4))));
  g.fill(0, FROZEN[0], FROZEN[1]);
  return Vector.from(g, dtype);
}

/** The bytes of elements [from, to) of a float array. */
function bytesOf(a: Float32Array | Float64Array, from: number, to: number): Buffer {
  return Buffer.from(a.buffer, a.byteOffset + from * a.BYTES_PER_ELEMENT, (to - from) * a.BYTES_PER_ELEMENT);
}

// Step-by-step parity with the JS loops (optimizer and backend level), tracking against 32-bit,
// save/load across backends, bad input and snapshot refusal run for every backend in test/conformance/; this file keeps what only
// the WebAssembly kernels and memory have.
describe('8-bit momentum state on the WebAssembly backend', () => {
  it('requantizes quotients on and beside every midpoint and guess-bucket edge to exactly encode’s code (float64)', () => {
    // b = g exactly (gs 1, wd 0, mu 0, a 1) and each block opens with its
    // absmax, so the quotient b / absmax is the probe itself (or slightly above
    // 1 in blocks whose absmax rounds down). Random data almost never lands on
    // a midpoint; these do.
    const book = SIGNED_CODE_BOOK;
    const d = new Float64Array(1);
    const du = new BigUint64Array(d.buffer);
    const step = (x: number, by: bigint): number => ((d[0] = x), (du[0] = x >= 0 ? du[0] + by : du[0] - by), d[0]);
    const probes: number[] = [0, -0, 1, -1];
    for (const t of book.thresholds.subarray(1)) for (let k = -2n; k <= 2n; k++) probes.push(step(t, k));
    const bits = new Uint32Array(1);
    const f = new Float32Array(bits.buffer);
    for (let b = 1; b < 1 << 15; b++) {
      bits[0] = (b << 17) >>> 0;
      const edge = f[0];
      bits[0] = ((b << 17) - 1) >>> 0;
      const mid = (edge + f[0]) / 2;
      if (Math.abs(mid) <= 1 && Math.abs(mid) > 1e-9) for (let k = -1n; k <= 1n; k++) probes.push(step(mid, k));
    }
    const perBlock = 255;
    const blocks = Math.ceil(probes.length / perBlock);
    const n = blocks * 256;
    const g = new Float64Array(n);
    const expected = new Uint8Array(n);
    for (let bl = 0; bl < blocks; bl++) {
      // every fourth block's absmax rounds down to 1 in float32: quotients up to 1 + 2^-30
      const top = bl % 4 === 3 ? 1 + 2 ** -30 : 1;
      g[bl * 256] = bl % 2 ? -top : top;
      for (let j = 1; j < 256; j++) {
        const x = probes[(bl * perBlock + j - 1) % probes.length] * (bl % 4 === 3 ? top : 1);
        g[bl * 256 + j] = x;
      }
      for (let j = 0; j < 256; j++) expected[bl * 256 + j] = book.encode(g[bl * 256 + j] / Math.fround(top));
    }
    const plan = buildLayerPlan(n, { ...PLAIN_PLAN, layerBoundaries: [], optimBits: 8 });
    const c = allocateCoefficients(1);
    c.gradScale[0] = 1;
    c.decay[0] = 0;
    c.bufferMomentum[0] = 0;
    c.bufferGain[0] = 1;
    c.fromBuffer[0] = 1;
    c.fromDirection[0] = 0;
    c.stepScale[0] = 1e-3;
    const wasm = WasmBackend.create()!;
    const cpu = new CpuBackend();
    const sw = wasm.createState(plan, 'float64');
    const sc = cpu.createState(plan, 'float64');
    const w1 = wasm.allocateVector(n, 'float64');
    const w2 = Vector.zeros(n, 'float64');
    const grad = Vector.from(g, 'float64');
    wasm.applyUpdate(plan, c, w1, grad, sw);
    cpu.applyUpdate(plan, c, w2, grad, sc);
    const [a] = sw.snapshot().layers;
    const [b] = sc.snapshot().layers;
    if (a.bits !== 8 || b.bits !== 8) return expect.fail('8-bit state expected');
    expect(Array.from(a.absmax.slice(0, 4))).to.deep.equal([1, 1, 1, 1]);
    const wrongWasm = expected.findIndex((k, i) => a.codes[i] !== k);
    const wrongJs = expected.findIndex((k, i) => b.codes[i] !== k);
    expect(wrongWasm, `WASM: element ${wrongWasm}, g = ${g[wrongWasm]}`).to.equal(-1);
    expect(wrongJs, `JS: element ${wrongJs}, g = ${g[wrongJs]}`).to.equal(-1);
    sw.dispose();
  });

  it('stateBytes: 1 byte per element + 4 per 256-block for 8-bit layers, 4 or 8 bytes per element otherwise, as on the CPU', () => {
    const kwargs = { lr: 0.01, momentum: 0.9, weight_decay: 1e-4 };
    const blocks = 32 + Math.ceil(5001 / 256) + Math.ceil(4100 / 256);
    for (const [dtype, size] of [['float32', 4], ['float64', 8]] as const) {
      const wasm = onWasm((s) => new LARS8bit(LAYOUT, kwargs, {}, s));
      const cpu = new LARS8bit(LAYOUT, kwargs, {}, { backend: new CpuBackend() });
      const w = Vector.from(startWeights(), dtype);
      const g = gradient(dtype, normal(23), 0);
      wasm.optimizer.step(w.clone(), g);
      cpu.step(w.clone(), g);
      expect(wasm.states[0]).to.be.an.instanceOf(WasmQuantizedState);
      expect(wasm.optimizer.stateBytes()).to.equal(8192 + 5001 + 4100 + 4 * blocks + size * 100);
      expect(wasm.optimizer.stateBytes()).to.equal(cpu.stateBytes());
    }
    // All layers 32-bit: the plain WASM state, 4 bytes per element.
    const small = new LARS8bit(LAYOUT, { ...kwargs, min_8bit_size: 10000 }, {}, { backend: WasmBackend.create()! });
    small.step(Vector.from(startWeights(), 'float32'), gradient('float32', normal(24), 0));
    expect(small.stateBytes()).to.equal(4 * N);
  });

  it('keeps its state readable across memory growth with an ordinary (non-shared) memory, and frees it on dispose', () => {
    const wasm = WasmBackend.create(false)!;
    expect(wasm.heap.shared).to.equal(false);
    // max_unorm 0 and float64: the 32-bit layer is exact too.
    const make: Make = (s) => new LARS8bit(LAYOUT, { lr: 0.05, momentum: 0.9, weight_decay: 1e-4, max_unorm: 0 }, {}, s);
    const a = make({ backend: wasm });
    const b = onJs(make);
    const wa = Vector.from(startWeights(), 'float64');
    const wb = wa.clone();
    const rnd = normal(28);
    for (let step = 0; step < 4; step++) {
      const g = gradient('float64', rnd, step);
      a.step(wa, g);
      b.step(wb, g);
      // Grow the memory between steps: views made before would now be detached.
      wasm.heap.allocate(1 << 20);
    }
    expect(a.saveState()).to.deep.equal(b.saveState());
    expect(bytesOf(wa.data, 0, N).equals(bytesOf(wb.data, 0, N))).to.equal(true);
    const state = wasm.createState(a.layerPlan!, 'float64') as WasmQuantizedState;
    const addresses = [state.valuesAddress, state.codesAddress, state.absmaxAddress];
    state.dispose();
    const again = wasm.createState(a.layerPlan!, 'float64') as WasmQuantizedState;
    expect([again.valuesAddress, again.codesAddress, again.absmaxAddress]).to.deep.equal(addresses);
    again.dispose();
  });
});
