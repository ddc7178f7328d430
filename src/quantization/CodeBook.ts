import { CODES, SIGNED_DYNAMIC_MAP } from './dynamicMap.js';

/**
 * A sorted table of 256 float32 codes with the midpoints between neighbours,
 * so that a value in [−1, 1] maps to its nearest code with eight comparisons.
 * A value exactly on a midpoint takes the lower code.
 *
 * @category Backends
 */
export class CodeBook {
  /** The 256 codes, ascending. */
  readonly values: Float32Array;
  /**
   * `thresholds[k]` is the midpoint between codes k−1 and k (exact in float64);
   * `thresholds[0]` is −∞. Code k is chosen when thresholds[k] < x ≤ thresholds[k+1].
   */
  readonly thresholds: Float64Array;
  /** The index of the code 0 (127 in the signed dynamic map); a zero block is stored with it. */
  readonly zeroCode: number;
  /**
   * A first guess per float32 bucket: indexed by the top {@link GUESS_BITS} bits
   * of `Math.fround(x)`'s pattern (sign, exponent, 6 mantissa bits), the lowest
   * code of any float64 x that rounds into the bucket, at most 254 (0 for NaN).
   * {@link encodeFast} walks up from it; {@link encodeStep} takes one step.
   */
  readonly guess: Uint8Array;
  /**
   * Whether every bucket of {@link guess} spans at most two neighbouring codes,
   * so that one comparison corrects the guess ({@link encodeStep} is then
   * branch-free). True for {@link SIGNED_CODE_BOOK}.
   */
  readonly oneStep: boolean;

  /**
   * @param values - 256 ascending float32 codes, one of them 0.
   * @throws RangeError when there are not 256 strictly ascending codes including 0.
   */
  constructor(values: Float32Array) {
    if (values.length !== CODES) throw new RangeError(`a code book needs ${CODES} codes, got ${values.length}`);
    for (let k = 1; k < CODES; k++) {
      if (!(values[k] > values[k - 1])) throw new RangeError(`codes must be strictly ascending (codes ${k - 1} and ${k})`);
    }
    this.zeroCode = values.indexOf(0);
    if (this.zeroCode < 0) throw new RangeError('a code book needs the code 0');
    this.values = values;
    this.thresholds = new Float64Array(CODES);
    this.thresholds[0] = -Infinity;
    for (let k = 1; k < CODES; k++) this.thresholds[k] = (values[k - 1] + values[k]) / 2;
    this.guess = new Uint8Array(1 << GUESS_BITS);
    let oneStep = true;
    const half = 1 << (GUESS_BITS - 1);
    for (let b = 0; b < half; b++) {
      const range = bucketRange(b);
      if (range === null) continue; // NaN patterns: guess 0, and NaN > t[1] is false
      const [lo, hi] = range;
      // The positive bucket b holds [lo, hi]; its negative twin [−hi, −lo].
      for (const [bucket, low, high] of [[b, lo, hi], [b + half, -hi, -lo]]) {
        const first = this.encode(low);
        const last = this.encode(high);
        if (last - first > 1) oneStep = false;
        this.guess[bucket] = Math.min(first, CODES - 2);
      }
    }
    this.oneStep = oneStep;
  }

  /** The index of the code nearest to `x` (ties to the lower code; NaN gives code 0). */
  encode(x: number): number {
    const t = this.thresholds;
    let c = 0;
    if (x > t[c + 128]) c += 128;
    if (x > t[c + 64]) c += 64;
    if (x > t[c + 32]) c += 32;
    if (x > t[c + 16]) c += 16;
    if (x > t[c + 8]) c += 8;
    if (x > t[c + 4]) c += 4;
    if (x > t[c + 2]) c += 2;
    if (x > t[c + 1]) c += 1;
    return c;
  }

  /**
   * The same code as {@link encode}, found from a table guess and a short walk
   * (usually no more than one or two steps); faster in hot loops.
   */
  encodeFast(x: number): number {
    F32[0] = x;
    let c = this.guess[U32[0] >>> (32 - GUESS_BITS)];
    const t = this.thresholds;
    while (c < CODES - 1 && x > t[c + 1]) c++;
    while (c > 0 && !(x > t[c])) c--;
    return c;
  }

  /**
   * The same code as {@link encode}: the table guess plus one comparison,
   * `guess + (x > thresholds[guess + 1])`, exact when {@link oneStep}
   * (otherwise it falls back to {@link encodeFast}). The 8-bit update loops
   * of the JS and WebAssembly backends inline this.
   */
  encodeStep(x: number): number {
    if (!this.oneStep) return this.encodeFast(x);
    F32[0] = x;
    const c = this.guess[U32[0] >>> (32 - GUESS_BITS)];
    return x > this.thresholds[c + 1] ? c + 1 : c;
  }
}

/**
 * The float64 values that `Math.fround` takes into the non-negative bucket
 * `b` (a bucket is the top {@link GUESS_BITS} bits of a float32 pattern), as
 * [lowest, highest]; null for buckets of NaN patterns. Rounding is to nearest,
 * ties to even, so a bucket's first float32 (even) keeps the midpoint below it
 * and its last float32 (odd) loses the midpoint above it.
 */
function bucketRange(b: number): [number, number] | null {
  const shift = 32 - GUESS_BITS;
  const first = b << shift;
  const last = first | ((1 << shift) - 1);
  const lowF = bitsToFloat32(first);
  const highF = bitsToFloat32(last);
  if (Number.isNaN(lowF)) return null;
  if (lowF === Infinity) return [(bitsToFloat32(first - 1) + 2 ** 128) / 2, Infinity];
  const lo = first === 0 ? 0 : (bitsToFloat32(first - 1) + lowF) / 2;
  const above = last + 1 === 0x7f800000 ? 2 ** 128 : bitsToFloat32(last + 1);
  return [lo, float64Below((highF + above) / 2)];
}

function bitsToFloat32(bits: number): number {
  U32[0] = bits >>> 0;
  return F32[0];
}

/** The float64 next below the positive finite `x`. */
function float64Below(x: number): number {
  F64[0] = x;
  U64[0] -= 1n;
  return F64[0];
}

/**
 * Bits of a float32 pattern that index {@link CodeBook.guess}: sign, 8 exponent bits, 6 mantissa bits.
 *
 * @category Backends
 */
export const GUESS_BITS = 15;
const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);
const F64 = new Float64Array(1);
const U64 = new BigUint64Array(F64.buffer);

/**
 * The code book of bitsandbytes' signed dynamic map, used for 8-bit momentum.
 *
 * @category Backends
 */
export const SIGNED_CODE_BOOK: CodeBook = new CodeBook(SIGNED_DYNAMIC_MAP);
