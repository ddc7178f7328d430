import { CODES, SIGNED_DYNAMIC_MAP } from './dynamicMap.js';

/**
 * A sorted table of 256 float32 codes with the midpoints between neighbours,
 * so that a value in [−1, 1] maps to its nearest code with eight comparisons.
 * A value exactly on a midpoint takes the lower code.
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
   * of a value's float32 pattern (sign, exponent, 6 mantissa bits), the code
   * of the bucket's middle. {@link encodeFast} corrects it in a step or two.
   */
  readonly guess: Uint8Array;

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
    const pattern = new Uint32Array(1);
    const value = new Float32Array(pattern.buffer);
    for (let b = 0; b < this.guess.length; b++) {
      pattern[0] = (b << (32 - GUESS_BITS)) | (1 << (31 - GUESS_BITS));
      const x = value[0];
      this.guess[b] = Number.isNaN(x) ? 0 : this.encode(Math.max(-2, Math.min(2, x)));
    }
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
}

/** Bits of a float32 pattern that index {@link CodeBook.guess}: sign, 8 exponent bits, 6 mantissa bits. */
export const GUESS_BITS = 15;
const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

/** The code book of bitsandbytes' signed dynamic map, used for 8-bit momentum. */
export const SIGNED_CODE_BOOK: CodeBook = new CodeBook(SIGNED_DYNAMIC_MAP);
