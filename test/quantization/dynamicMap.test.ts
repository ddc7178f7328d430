import { expect } from 'chai';
import { createDynamicMap, SIGNED_DYNAMIC_MAP } from '../../src/quantization/dynamicMap.js';
import { torchLinspaceFloat32 } from '../../src/quantization/torchLinspaceFloat32.js';
import { loadDynamicMap } from '../support/golden.js';

/** The raw float32 bit patterns of `values`. */
function bits(values: ArrayLike<number>): number[] {
  return Array.from(new Uint32Array(Float32Array.from(values).buffer));
}

describe('dynamic map (bitsandbytes create_dynamic_map)', () => {
  it('signed map equals the golden table bit for bit', () => {
    const golden = loadDynamicMap().signed;
    expect(golden).to.have.length(256);
    expect(bits(createDynamicMap(true))).to.deep.equal(bits(golden));
  });

  it('unsigned map equals the golden table bit for bit (same algorithm, other branch)', () => {
    expect(bits(createDynamicMap(false))).to.deep.equal(bits(loadDynamicMap().unsigned));
  });

  it('signed map: ascending, 0 at code 127, 1 at code 255, no -1', () => {
    const m = SIGNED_DYNAMIC_MAP;
    for (let k = 1; k < 256; k++) expect(m[k]).to.be.greaterThan(m[k - 1]);
    expect(m[127]).to.equal(0);
    expect(m[255]).to.equal(1);
    expect(m[0]).to.be.greaterThan(-1);
  });

  it('linspace keeps its endpoints and is monotone', () => {
    for (const n of [2, 3, 9, 17, 33, 65]) {
      const v = torchLinspaceFloat32(0.1, 1, n);
      expect(v[0]).to.equal(Math.fround(0.1));
      expect(v[n - 1]).to.equal(1);
      for (let i = 1; i < n; i++) expect(v[i]).to.be.greaterThan(v[i - 1]);
    }
    expect(() => torchLinspaceFloat32(0, 1, 1)).to.throw(RangeError);
  });
});
