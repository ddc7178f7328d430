import { expect } from 'chai';
import { uniform } from '../support/random.js';
import { CodeBook, GUESS_BITS, SIGNED_CODE_BOOK } from '../../src/quantization/CodeBook.js';
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

  it('every float32 bucket of the guess table spans at most two codes (one step suffices)', () => {
    // Recomputed here without the constructor's helper: for each 15-bit bucket
    // of non-negative float32 patterns, the float64 values that round into it
    // run from the midpoint below its first float32 (kept: that float32 is
    // even) to just under the midpoint above its last (lost: that one is odd).
    const book = SIGNED_CODE_BOOK;
    expect(book.oneStep).to.equal(true);
    const bits = new Uint32Array(1);
    const f = new Float32Array(bits.buffer);
    const asF32 = (p: number): number => ((bits[0] = p >>> 0), f[0]);
    const d = new Float64Array(1);
    const du = new BigUint64Array(d.buffer);
    const below = (x: number): number => ((d[0] = x), (du[0] -= 1n), d[0]);
    let spans = 0;
    for (let b = 0; b < 1 << (GUESS_BITS - 1); b++) {
      const first = b << (32 - GUESS_BITS);
      const last = first + (1 << (32 - GUESS_BITS)) - 1;
      if (Number.isNaN(asF32(first))) continue;
      const low = first === 0 ? 0 : (asF32(first - 1) + asF32(first)) / 2;
      const aboveLast = last + 1 >= 0x7f800000 ? 2 ** 128 : asF32(last + 1);
      const lastF = asF32(last);
      // the midpoint above is lost, so the highest is the float64 just under it
      // (it can be a threshold: −0.78906247… is both, bucket 24484)
      const high = Number.isFinite(lastF) ? below((lastF + aboveLast) / 2) : Infinity;
      expect(Math.fround(low), `bucket ${b} low`).to.be.at.least(asF32(first));
      for (const [bucket, lo, hi] of [[b, low, high], [b | (1 << (GUESS_BITS - 1)), -high, -low]]) {
        const span = book.encode(hi) - book.encode(lo);
        expect(span, `bucket ${bucket}`).to.be.at.most(1);
        expect(book.guess[bucket], `bucket ${bucket}`).to.equal(Math.min(book.encode(lo), 254));
        spans += span;
      }
    }
    expect(spans).to.be.greaterThan(0); // some buckets do hold a threshold
  });

  it('encodeStep (guess + one comparison) equals encode on a dense sweep of quotients', () => {
    const book = SIGNED_CODE_BOOK;
    const f64 = new Float64Array(1);
    const u64 = new BigUint64Array(f64.buffer);
    const nextUp = (x: number, steps: bigint): number => {
      f64[0] = x;
      // the pattern of a float64 moves away from 0 as it grows, for either sign
      u64[0] = x > 0 || Object.is(x, 0) ? u64[0] + steps : u64[0] - steps;
      return f64[0];
    };
    const probes: number[] = [NaN, Infinity, -Infinity, 0, -0, 1, -1, 2, -2, 1e-45, -1e-45, 1e-300, -1e-300];
    for (let s = 1n; s <= 64n; s++) probes.push(nextUp(1, s), -nextUp(1, s), nextUp(1, -s), -nextUp(1, -s));
    for (const v of [1 + 2 ** -23, 1 + 2 ** -22, 1.0001, 1.01, 1.1]) probes.push(v, -v);
    for (const t of book.thresholds.subarray(1)) {
      // every midpoint, its float64 neighbours, and its float32 neighbours with theirs
      const t32 = Math.fround(t);
      const below32 = t32 > t ? t32 - Math.abs(t32) * 2 ** -24 : t32;
      for (const c of [t, t32, below32, Math.fround(below32), Math.fround(t * (1 + 2 ** -23)), Math.fround(t * (1 - 2 ** -23))]) {
        for (let s = -3n; s <= 3n; s++) probes.push(nextUp(c, s));
      }
    }
    for (const v of book.values) probes.push(v, nextUp(v, 1n), nextUp(v, -1n));
    // every bucket's two float32 edges, the midpoints beside them, and their float64 neighbours
    const bits = new Uint32Array(1);
    const f = new Float32Array(bits.buffer);
    for (let b = 0; b < 1 << GUESS_BITS; b++) {
      bits[0] = (b << (32 - GUESS_BITS)) >>> 0;
      const edge = f[0];
      bits[0] = ((b << (32 - GUESS_BITS)) - 1) >>> 0;
      const before = f[0];
      if (Number.isNaN(edge) || Number.isNaN(before)) continue;
      const mid = (edge + before) / 2;
      for (const c of [edge, before, mid]) for (let s = -2n; s <= 2n; s++) probes.push(nextUp(c, s));
    }
    const rnd = random(11);
    for (let i = 0; i < 300000; i++) probes.push((rnd() * 2.2 - 1.1) * 10 ** -(rnd() * 9));
    const wrong = probes.filter((x) => book.encodeStep(x) !== book.encode(x));
    expect(wrong.slice(0, 5), `${wrong.length} of ${probes.length} wrong`).to.deep.equal([]);
    expect(probes.length).to.be.greaterThan(750_000);
  });

  it('a code book whose buckets span more than two codes is not oneStep; encodeStep then walks', () => {
    // 256 codes packed into [−1e-3, 1e-3] and one at ±1: many codes per bucket near 0
    const values = Float32Array.from({ length: 256 }, (_, k) => (k - 127) * 1e-5);
    values[255] = 1;
    values[0] = -1;
    const book = new CodeBook(values);
    expect(book.oneStep).to.equal(false);
    const rnd = random(5);
    for (let i = 0; i < 20000; i++) {
      const x = (rnd() * 2 - 1) * 2e-3;
      expect(book.encodeStep(x), `x = ${x}`).to.equal(book.encode(x));
    }
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
