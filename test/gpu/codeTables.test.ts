import { expect } from 'chai';
import { SIGNED_CODE_BOOK } from '../../src/quantization/CodeBook.js';
import { codeTables } from '../../src/backends/gpujs/QuantizedKernelSet.js';

/** The float32 just above `x`. */
function nextUp(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer);
  if (x === 0) return 2 ** -149;
  u[0] += x > 0 ? 1 : -1;
  return f[0];
}

describe('GPU code tables (host only)', () => {
  it('midpoints rounded toward −∞: for every float32 q near a midpoint, q > t↓ exactly when q > t', () => {
    const { values, thresholds } = codeTables();
    const exact = SIGNED_CODE_BOOK.thresholds;
    expect(Array.from(values)).to.deep.equal(Array.from(SIGNED_CODE_BOOK.values));
    let moved = 0;
    for (let k = 1; k < 256; k++) {
      const down = thresholds[k];
      expect(Math.fround(down), `threshold ${k} is a float32`).to.equal(down);
      expect(down, `threshold ${k}`).to.be.at.most(exact[k]);
      // No float32 lies in (t↓, t]: the next one up is above the exact midpoint.
      expect(nextUp(down), `threshold ${k}`).to.be.greaterThan(exact[k]);
      if (down !== exact[k]) moved++;
      // The float32 q on either side of the midpoint decide as in float64.
      for (const q of [down, nextUp(down)]) expect(q > down, `q ${q} at threshold ${k}`).to.equal(q > exact[k]);
    }
    // Most midpoints of float32 neighbours need a 25th bit: rounding them matters.
    expect(moved).to.be.greaterThan(0);
  });
});
