/**
 * The GPU kernels of 8-bit momentum state, in the same gpu.js JavaScript
 * subset as kernelSources.ts. Layouts are those of
 * {@link QuantizedStateLayout}: `w` and `g` are `[chunkSize, chunks]`,
 * `codes` is `[wordsPerRow, rows8]` (three codes per float word), `absmax`
 * is `[blocksPerRow, rows8]`, `buf32` is `[chunkSize, rows32]`.
 * `codeValues` holds the 256 float32 codes; `thresholds` the float32
 * midpoints rounded toward −∞ (see {@link GpuJsBackend}).
 *
 * Every kernel recomputes the new momentum b = μ·(code·absmax) + a·d from the
 * old codes where it needs it: no float copy of the 8-bit state is ever made.
 * A word is split with floors of products by 2⁻⁸ and 2⁻¹⁶ (exact), and
 * positions with `⌊(e + ½)/n⌋`, which is exact however the GPU rounds a division.
 *
 * @module
 */

/* eslint-disable @typescript-eslint/no-explicit-any */
type KernelThis = {
  thread: { x: number; y: number };
  constants: { chunkSize: number; wordsPerBlock: number; zeroCode: number };
};

/**
 * Code `slot` (0, 1 or 2) of a code word c₀ + 256·c₁ + 65536·c₂. A helper
 * the kernels call (compiled with them through gpu.js's `functions` setting).
 *
 * @category Backends
 */
export function unpackCode(word: number, slot: number): number {
  const hi = Math.floor(word * 0.0000152587890625);
  const upper = Math.floor(word * 0.00390625);
  return slot < 0.5 ? word - 256 * upper : slot < 1.5 ? upper - 256 * hi : hi;
}

/**
 * One thread per 256-element block of an 8-bit row: the new absmax, max |b| over the block.
 *
 * @category Backends
 */
export function blockAbsmaxKernel(
  this: KernelThis,
  w: any,
  g: any,
  codes: any,
  absmax: any,
  rowChunk8: any,
  chunkLayer: any,
  coef: any,
  codeValues: any,
): number {
  const r = this.thread.y;
  const k = this.thread.x;
  const y = rowChunk8[r];
  const l = chunkLayer[y];
  const gs = coef[l][0];
  const wd = coef[l][1];
  const mu = coef[l][2];
  const a = coef[l][3];
  const scale = absmax[r][k];
  const wordBase = this.constants.wordsPerBlock * k;
  let max = 0;
  for (let e = 0; e < 256; e++) {
    const xi = 256 * k + e;
    const j = Math.floor((e + 0.5) / 3);
    const slot = e - 3 * j;
    const word = codes[r][wordBase + j];
    const code = unpackCode(word, slot);
    const d = gs * g[y][xi] + wd * w[y][xi];
    const b = mu * (codeValues[code] * scale) + a * d;
    max = Math.max(max, Math.abs(b));
  }
  return max;
}

/**
 * One thread per code word of an 8-bit row: recomputes b for the word's three
 * elements, divides by the block's new absmax and finds the nearest code by an
 * eight-step binary search (ties to the lower code); a zero block and the
 * slots past element 255 of a block take the zero code.
 *
 * @category Backends
 */
export function requantizeKernel(
  this: KernelThis,
  w: any,
  g: any,
  codes: any,
  absmax: any,
  newAbsmax: any,
  rowChunk8: any,
  chunkLayer: any,
  coef: any,
  codeValues: any,
  thresholds: any,
): number {
  const r = this.thread.y;
  const x = this.thread.x;
  const k = Math.floor((x + 0.5) / this.constants.wordsPerBlock);
  const j = x - this.constants.wordsPerBlock * k;
  const y = rowChunk8[r];
  const l = chunkLayer[y];
  const gs = coef[l][0];
  const wd = coef[l][1];
  const mu = coef[l][2];
  const a = coef[l][3];
  const scale = absmax[r][k];
  const next = newAbsmax[r][k];
  const word = codes[r][x];
  let out = 0;
  let place = 1;
  for (let slot = 0; slot < 3; slot++) {
    const e = 3 * j + slot;
    let c = this.constants.zeroCode;
    if (e < 255.5 && next > 0) {
      const xi = 256 * k + e;
      const old = unpackCode(word, slot);
      const d = gs * g[y][xi] + wd * w[y][xi];
      const b = mu * (codeValues[old] * scale) + a * d;
      const q = b / next;
      c = 0;
      if (q > thresholds[c + 128]) c += 128;
      if (q > thresholds[c + 64]) c += 64;
      if (q > thresholds[c + 32]) c += 32;
      if (q > thresholds[c + 16]) c += 16;
      if (q > thresholds[c + 8]) c += 8;
      if (q > thresholds[c + 4]) c += 4;
      if (q > thresholds[c + 2]) c += 2;
      if (q > thresholds[c + 1]) c += 1;
    }
    out += c * place;
    place *= 256;
  }
  return out;
}

/**
 * The new full-precision momentum of the 32-bit rows: b = μ·buf + a·d.
 *
 * @category Backends
 */
export function floatBufferKernel(this: KernelThis, w: any, g: any, buf32: any, rowChunk32: any, chunkLayer: any, coef: any): number {
  const r = this.thread.y;
  const x = this.thread.x;
  const y = rowChunk32[r];
  const l = chunkLayer[y];
  const d = coef[l][0] * g[y][x] + coef[l][1] * w[y][x];
  return coef[l][2] * buf32[r][x] + coef[l][3] * d;
}

/**
 * The new parameters w − step·(cb·b + cd·d): b recomputed from the old codes
 * in 8-bit rows (the unquantized b, as on the CPU), read from the new float
 * momentum in 32-bit rows.
 *
 * @category Backends
 */
export function quantizedParamsKernel(
  this: KernelThis,
  w: any,
  g: any,
  codes: any,
  absmax: any,
  newBuf32: any,
  chunkRow8: any,
  chunkRow32: any,
  chunkLayer: any,
  coef: any,
  codeValues: any,
): number {
  const y = this.thread.y;
  const x = this.thread.x;
  const l = chunkLayer[y];
  const wi = w[y][x];
  const d = coef[l][0] * g[y][x] + coef[l][1] * wi;
  const r8 = chunkRow8[y];
  let b = 0;
  if (r8 > -0.5) {
    const k = Math.floor((x + 0.5) / 256);
    const e = x - 256 * k;
    const j = Math.floor((e + 0.5) / 3);
    const slot = e - 3 * j;
    const word = codes[r8][this.constants.wordsPerBlock * k + j];
    const code = unpackCode(word, slot);
    b = coef[l][2] * (codeValues[code] * absmax[r8][k]) + coef[l][3] * d;
  } else {
    b = newBuf32[chunkRow32[y]][x];
  }
  return wi - coef[l][6] * (coef[l][4] * b + coef[l][5] * d);
}

/**
 * Reduction, first level, of the update each element would get, from the old (dequantized or float) momentum: Σu² per chunk.
 *
 * @category Backends
 */
export function quantizedUpdateSquaresKernel(
  this: KernelThis,
  w: any,
  g: any,
  codes: any,
  absmax: any,
  buf32: any,
  chunkRow8: any,
  chunkRow32: any,
  chunkLayer: any,
  coef: any,
  codeValues: any,
): number {
  const y = this.thread.x;
  const l = chunkLayer[y];
  const gs = coef[l][0];
  const wd = coef[l][1];
  const mu = coef[l][2];
  const a = coef[l][3];
  const cb = coef[l][4];
  const cd = coef[l][5];
  const r8 = chunkRow8[y];
  const r32 = chunkRow32[y];
  let sum = 0;
  for (let i = 0; i < this.constants.chunkSize; i++) {
    const d = gs * g[y][i] + wd * w[y][i];
    let old = 0;
    if (r8 > -0.5) {
      const k = Math.floor((i + 0.5) / 256);
      const e = i - 256 * k;
      const j = Math.floor((e + 0.5) / 3);
      const slot = e - 3 * j;
      const word = codes[r8][this.constants.wordsPerBlock * k + j];
      const code = unpackCode(word, slot);
      old = codeValues[code] * absmax[r8][k];
    } else {
      old = buf32[r32][i];
    }
    const b = mu * old + a * d;
    const u = cb * b + cd * d;
    sum += u * u;
  }
  return sum;
}
