import { SIGNED_CODE_BOOK, type CodeBook } from './CodeBook.js';

/**
 * Elements that share one float32 absmax scale.
 *
 * @category Backends
 */
export const QUANT_BLOCK = 256;

/**
 * Number of absmax blocks for `length` elements: ⌈length / 256⌉.
 *
 * @category Backends
 */
export function blockCount(length: number): number {
  return Math.ceil(length / QUANT_BLOCK);
}

/**
 * Quantizes `values` blockwise: each block of 256 elements (the last may be
 * shorter) stores absmax = float32(max |x|) and, per element, the code nearest
 * to x / absmax (a quotient slightly above 1 takes the top code). An all-zero block stores absmax 0 and the zero code.
 *
 * @param values - the float values.
 * @param codes - receives one code per element (same length as `values`).
 * @param absmax - receives one scale per block (length {@link blockCount}).
 * @param book - the code table. Default: the signed dynamic map.
 *
 * @category Backends
 */
export function quantizeBlockwise(
  values: ArrayLike<number>,
  codes: Uint8Array,
  absmax: Float32Array,
  book: CodeBook = SIGNED_CODE_BOOK,
): void {
  checkSizes(values.length, codes, absmax);
  for (let b = 0; b * QUANT_BLOCK < values.length; b++) {
    const start = b * QUANT_BLOCK;
    const end = Math.min(start + QUANT_BLOCK, values.length);
    let max = 0;
    for (let i = start; i < end; i++) max = Math.max(max, Math.abs(values[i]));
    const scale = Math.fround(max);
    absmax[b] = scale;
    if (scale === 0) {
      codes.fill(book.zeroCode, start, end);
      continue;
    }
    for (let i = start; i < end; i++) codes[i] = book.encode(values[i] / scale);
  }
}

/**
 * The values blockwise codes stand for: `out[i] = book.values[codes[i]] · absmax[block of i]`
 * (the product of two float32 numbers, exact in float64).
 *
 * @param out - receives the values; a Float32Array rounds them to float32.
 *
 * @category Backends
 */
export function dequantizeBlockwise(
  codes: Uint8Array,
  absmax: Float32Array,
  out: Float32Array | Float64Array,
  book: CodeBook = SIGNED_CODE_BOOK,
): void {
  checkSizes(out.length, codes, absmax);
  for (let i = 0; i < codes.length; i++) out[i] = book.values[codes[i]] * absmax[(i / QUANT_BLOCK) | 0];
}

function checkSizes(length: number, codes: Uint8Array, absmax: Float32Array): void {
  if (codes.length !== length) throw new RangeError(`${codes.length} codes for ${length} values`);
  if (absmax.length !== blockCount(length)) {
    throw new RangeError(`${absmax.length} absmax values for ${length} values; expected ${blockCount(length)}`);
  }
}
