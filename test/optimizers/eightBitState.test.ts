import { expect } from 'chai';
import { LARS, LARS32bit, LARS8bit, Vector, type ParameterLayout } from '../../src/index.js';
import { normal, normalFloat32 } from '../support/random.js';

const LAYOUT: ParameterLayout = [
  { name: 'conv.weight', size: 8192, kind: 'weight' },
  { name: 'fc.weight', size: 5000, kind: 'weight' },
  { name: 'fc.bias', size: 100, kind: 'bias' },
];
const N = LAYOUT.reduce((a, t) => a + t.size, 0);
const KWARGS = { lr: 0.01, momentum: 0.9, weight_decay: 1e-4 };

function gradients(steps: number, seed: number): Float32Array[] {
  const rnd = normal(seed);
  return Array.from({ length: steps }, () => normalFloat32(N, rnd, 0.01));
}

// Tracking against 32-bit, save/restore (a restored run continuing bit-identically, on the same
// backend and across backends) and snapshot refusal run for every backend, the JS loops included,
// in test/conformance/.
describe('8-bit momentum state (CPU)', () => {
  it('stateBytes: 1 byte per element + 4 per 256-block for 8-bit layers, 4 or 8 bytes per element otherwise', () => {
    const w = Vector.from(normalFloat32(N, normal(1), 0.1), 'float32');
    const g = Vector.from(normalFloat32(N, normal(2), 0.01), 'float32');
    const eight = new LARS8bit(LAYOUT, KWARGS);
    const full = new LARS32bit(LAYOUT, KWARGS);
    eight.step(w.clone(), g);
    full.step(w.clone(), g);
    const expected8 = 8192 + 4 * 32 + 5000 + 4 * Math.ceil(5000 / 256) + 4 * 100; // bias < min_8bit_size keeps 32-bit
    expect(eight.stateBytes()).to.equal(expected8);
    expect(full.stateBytes()).to.equal(4 * N);
    expect(full.stateBytes() / eight.stateBytes()).to.be.greaterThan(3.8);
    const viaLars = new LARS(LAYOUT, { ...KWARGS, optim_bits: 8 });
    const wl = w.clone();
    viaLars.step(wl, g);
    expect(viaLars.stateBytes()).to.equal(expected8);
    expect(viaLars.saveState().momentum).to.deep.equal(eight.saveState().momentum);
    const wide = new LARS8bit(LAYOUT, KWARGS);
    wide.step(Vector.from(w.data, 'float64'), Vector.from(g.data, 'float64'));
    expect(wide.stateBytes()).to.equal(expected8 - 4 * 100 + 8 * 100);
    const all8 = new LARS8bit(LAYOUT, { ...KWARGS, min_8bit_size: 1 });
    all8.step(w.clone(), g);
    expect(all8.stateBytes()).to.equal(N + 4 * (32 + 20 + 1));
  });

  it('layers below min_8bit_size keep 32-bit state and step exactly as a 32-bit optimizer', () => {
    const layout: ParameterLayout = [{ name: 'small', size: 4095, kind: 'weight' }];
    const a = new LARS8bit(layout, KWARGS);
    const b = new LARS32bit(layout, KWARGS);
    const wa = Vector.from(normalFloat32(4095, normal(3), 0.1), 'float32');
    const wb = wa.clone();
    const rnd = normal(4);
    for (let s = 0; s < 5; s++) {
      const g = Vector.from(normalFloat32(4095, rnd, 0.01), 'float32');
      a.step(wa, g);
      b.step(wb, g);
    }
    expect(a.layerPlan!.segments[0].stateBits).to.equal(32);
    expect(Array.from(wa.data)).to.deep.equal(Array.from(wb.data));
    expect(a.stateBytes()).to.equal(4 * 4095);
  });

  it('loadState refuses 8-bit state in a 32-bit optimizer (and the reverse) and keeps its own state', () => {
    const g = Vector.from(gradients(1, 7)[0], 'float32');
    const a = new LARS8bit(LAYOUT, KWARGS);
    a.step(Vector.from(normalFloat32(N, normal(8), 0.1), 'float32'), g);
    const b = new LARS32bit(LAYOUT, KWARGS);
    b.step(Vector.from(normalFloat32(N, normal(9), 0.1), 'float32'), g);
    const before = b.saveState();
    expect(() => b.loadState(a.saveState())).to.throw(/8-bit/);
    expect(b.saveState()).to.deep.equal(before);
    expect(() => a.loadState(before)).to.throw(/32-bit/);
  });

  it('free-running 8-bit and 32-bit runs stay close over 100 steps', () => {
    const layout: ParameterLayout = LAYOUT.slice(0, 2);
    const n = 8192 + 5000;
    const rnd = normal(12);
    const w0 = Vector.from(normalFloat32(n, rnd, 0.1), 'float32');
    const w8 = w0.clone();
    const w32 = w0.clone();
    const a = new LARS8bit(layout, KWARGS);
    const b = new LARS32bit(layout, KWARGS);
    for (let step = 0; step < 100; step++) {
      const g = Vector.from(normalFloat32(n, rnd, 0.01), 'float32');
      a.step(w8, g);
      b.step(w32, g);
    }
    let drift = 0;
    let moved = 0;
    for (let i = 0; i < n; i++) {
      drift += Math.abs(w8.data[i] - w32.data[i]);
      moved += Math.abs(w32.data[i] - w0.data[i]);
    }
    console.log(`      free-running 100 steps: mean |p8 - p32| ${(drift / n).toExponential(2)}, mean |p32 - p0| ${(moved / n).toExponential(2)}`);
    expect(drift / n).to.be.below(0.05 * (moved / n));
  });
});
