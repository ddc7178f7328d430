import { expect } from 'chai';
import { type LARSOptimizer, type Vector } from '../../src/index.js';
import { momentumOf } from '../support/eightBit.js';
import { relL2 } from '../support/relativeError.js';
import { type Tolerance } from './backendTable.js';
import { bytesOf, layersOf, maxAbsDiff } from './eightBitFixtures.js';

/**
 * Exact backends: layers with 8-bit state bit for bit in parameters and saved
 * state; layers on the float kernels (32-bit state, or no state with momentum
 * 0) bit for bit where those are exact (`exactFloat`: float64 without
 * max_unorm), else to 1e-5 of their size.
 */
export function expectExact(a: LARSOptimizer, b: LARSOptimizer, wa: Vector, wb: Vector, exactFloat: boolean, when: string): void {
  const plan = a.layerPlan!;
  const sa = a.saveState();
  const sb = b.saveState();
  const hasState = sa.momentum !== null;
  const exact = (bits: number) => (bits === 8 && hasState) || exactFloat;
  expect(sa.percentileHistory, `${when}: percentile history`).to.equal(sb.percentileHistory);
  for (const s of plan.segments) {
    if (exact(s.stateBits)) {
      expect(bytesOf(wa.data, s.start, s.end).equals(bytesOf(wb.data, s.start, s.end)), `${when}: layer ${s.index} parameters`).to.equal(true);
    } else {
      const size = maxAbsDiff(wb.data, new Float64Array(wb.length), s.start, s.end);
      expect(maxAbsDiff(wa.data, wb.data, s.start, s.end), `${when}: layer ${s.index} parameters`).to.be.at.most(1e-5 * size);
    }
  }
  if (sa.momentum === null || sb.momentum === null) {
    expect(sa.momentum).to.equal(sb.momentum);
    return;
  }
  const ma = momentumOf(sa);
  const mb = momentumOf(sb);
  plan.segments.forEach((s, l) => {
    if (exact(s.stateBits)) expect(sa.momentum![l], `${when}: layer ${l} state`).to.deep.equal(sb.momentum![l]);
    else expect(maxAbsDiff(ma[l], mb[l]), `${when}: layer ${l} state`).to.be.at.most(1e-5 * maxAbsDiff(mb[l], new Float64Array(mb[l].length)) + 1e-30);
  });
}

/**
 * Float32 backends: per-layer parameters to `paramRelL2`; 8-bit codes at most
 * one apart, absmax to `absmaxRel`; 32-bit momentum to `momentumRelL2`.
 * Returns how many codes are one off (the caller bounds it per step).
 */
export function expectFloat32(t: Extract<Tolerance, { kind: 'float32' }>, a: LARSOptimizer, b: LARSOptimizer, wa: Vector, wb: Vector, when: string): number {
  const plan = a.layerPlan!;
  for (const s of plan.segments) {
    expect(relL2(wa.data, wb.data, s.start, s.end), `${when}: params of ${s.name}`).to.be.at.most(t.paramRelL2);
  }
  const sa = a.saveState();
  const sb = b.saveState();
  expect(sa.percentileHistory === null, `${when}: percentile history kept`).to.equal(sb.percentileHistory === null);
  if (sa.momentum === null || sb.momentum === null) {
    expect(sa.momentum).to.equal(sb.momentum);
    return 0;
  }
  const la = layersOf(sa);
  const lb = layersOf(sb);
  let offByOne = 0;
  la.forEach((x, l) => {
    const y = lb[l];
    expect(x.bits, `layer ${l} bits`).to.equal(y.bits);
    expect(x.bits).to.equal(plan.segments[l].stateBits);
    if (x.bits === 8 && y.bits === 8) {
      expect(x.codes.length).to.equal(y.codes.length);
      for (let i = 0; i < x.codes.length; i++) {
        const d = Math.abs(x.codes[i] - y.codes[i]);
        expect(d, `${when}: layer ${l} code ${i}`).to.be.at.most(1);
        offByOne += d;
      }
      expect(x.absmax.length).to.equal(y.absmax.length);
      for (let j = 0; j < x.absmax.length; j++) {
        expect(Math.abs(x.absmax[j] - y.absmax[j]), `${when}: layer ${l} absmax ${j}`).to.be.at.most(t.absmaxRel * y.absmax[j]);
      }
    } else if (x.bits === 32 && y.bits === 32) {
      expect(relL2(x.values, y.values, 0, y.values.length), `${when}: momentum of layer ${l}`).to.be.at.most(t.momentumRelL2);
    }
  });
  return offByOne;
}

