import { expect } from 'chai';
import { uniform } from '../support/random.js';
import { CodeBook, SIGNED_CODE_BOOK } from '../../src/quantization/CodeBook.js';
import { blockCount, dequantizeBlockwise, quantizeBlockwise, QUANT_BLOCK } from '../../src/quantization/blockwise.js';

const random = uniform;

/** Brute force: the index of the code nearest to x, ties to the lower one. */
function nearestByScan(book: CodeBook, x: number): number {
  let best = 0;
  for (let k = 1; k < 256; k++) if (Math.abs(book.values[k] - x) < Math.abs(book.values[best] - x)) best = k;
  return best;
}

describe('code book and blockwise quantization', () => {
  it('encode picks the nearest code (checked against a scan)', () => {
    const rnd = random(7);
    const book = SIGNED_CODE_BOOK;
    const probes: number[] = [-1.5, -1, 0, 1, 1.5, ...book.values];
    for (let i = 0; i < 5000; i++) probes.push((rnd() * 2 - 1) * 10 ** -Math.floor(rnd() * 8));
    for (const x of probes) expect(book.encode(x), `x = ${x}`).to.equal(nearestByScan(book, x));
  });

  it('encodeFast (table guess + walk) agrees with encode everywhere', () => {
    const rnd = random(9);
    const book = SIGNED_CODE_BOOK;
    const probes: number[] = [NaN, Infinity, -Infinity, 0, -0, 2, -2, ...book.values, ...book.thresholds.subarray(1)];
    for (const t of book.thresholds.subarray(1)) probes.push(t * (1 + 1e-12), t * (1 - 1e-12), Math.fround(t));
    for (let i = 0; i < 200000; i++) probes.push((rnd() * 2.2 - 1.1) * 10 ** -(rnd() * 9));
    for (const x of probes) expect(book.encodeFast(x), `x = ${x}`).to.equal(book.encode(x));
  });

  it('a value exactly on a midpoint takes the lower code', () => {
    const book = SIGNED_CODE_BOOK;
    for (let k = 1; k < 256; k++) expect(book.encode(book.thresholds[k])).to.equal(k - 1);
  });

  it('rejects a table that is not 256 ascending codes with 0', () => {
    expect(() => new CodeBook(new Float32Array(10))).to.throw(/256/);
    const noZero = Float32Array.from({ length: 256 }, (_, k) => k + 1);
    expect(() => new CodeBook(noZero)).to.throw(/code 0/);
  });

  it('one absmax per 256-element block; round trip error within half a code gap', () => {
    const rnd = random(3);
    const n = 3 * QUANT_BLOCK + 17;
    const x = new Float64Array(n).map((_, i) => (rnd() * 2 - 1) * (i < QUANT_BLOCK ? 1e-3 : 2));
    x.fill(0, QUANT_BLOCK, 2 * QUANT_BLOCK); // an all-zero block
    const codes = new Uint8Array(n);
    const absmax = new Float32Array(blockCount(n));
    expect(absmax.length).to.equal(4);
    quantizeBlockwise(x, codes, absmax);
    expect(absmax[1]).to.equal(0);
    for (let b = 0; b < absmax.length; b++) {
      const block = x.subarray(b * QUANT_BLOCK, Math.min((b + 1) * QUANT_BLOCK, n));
      expect(absmax[b]).to.equal(Math.fround(Math.max(...block.map(Math.abs))));
    }
    const back = new Float64Array(n);
    dequantizeBlockwise(codes, absmax, back);
    const v = SIGNED_CODE_BOOK.values;
    for (let i = 0; i < n; i++) {
      const scale = absmax[(i / QUANT_BLOCK) | 0];
      const c = codes[i];
      const gap = Math.max(c > 0 ? v[c] - v[c - 1] : 0, c < 255 ? v[c + 1] - v[c] : 0);
      // -1 has no code: the lowest code sits 0.00703 above it.
      const reach = c === 0 ? Math.max(gap / 2, 1 + v[0]) : gap / 2;
      // absmax is max|x| rounded to float32, so |x| / absmax may exceed 1 by one float32 ulp.
      expect(Math.abs(back[i] - x[i])).to.be.at.most((reach + 2 ** -23) * scale * (1 + 1e-9) + 1e-30);
    }
    // The largest magnitude of a block is stored exactly (code ±1 is exact for positives).
    const top = x.subarray(2 * QUANT_BLOCK).reduce((best, e, i, a) => (Math.abs(e) > Math.abs(a[best]) ? i : best), 0);
    if (x[2 * QUANT_BLOCK + top] > 0) expect(back[2 * QUANT_BLOCK + top]).to.equal(absmax[2]);
  });

  it('rejects mismatched sizes', () => {
    expect(() => quantizeBlockwise(new Float64Array(300), new Uint8Array(300), new Float32Array(1))).to.throw(/absmax/);
    expect(() => quantizeBlockwise(new Float64Array(300), new Uint8Array(299), new Float32Array(2))).to.throw(/codes/);
  });
});
