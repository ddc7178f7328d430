import type { LayerPlan } from '../../core/LayerPlan.js';
import { SIGNED_CODE_BOOK } from '../../quantization/CodeBook.js';
import { QUANT_BLOCK, blockCount } from '../../quantization/blockwise.js';
import type { ChunkLayout } from './ChunkLayout.js';

/**
 * 8-bit codes per float32 word: 3·8 = 24 bits, the integers float32 holds exactly.
 *
 * @category Backends
 */
export const CODES_PER_WORD = 3;
/**
 * Words per 256-element block: ⌈256 / 3⌉ = 86 (the last holds one code and two zero-code slots).
 *
 * @category Backends
 */
export const WORDS_PER_BLOCK = Math.ceil(QUANT_BLOCK / CODES_PER_WORD);
/**
 * A word of three zero codes: the packed form of a zero block.
 *
 * @category Backends
 */
export const ZERO_WORD = SIGNED_CODE_BOOK.zeroCode * (1 + 256 + 65536);

/**
 * Where the GPU keeps a quantized momentum state, on top of a
 * {@link ChunkLayout} (whose chunk size is a power of two ≥ 256, so every
 * 256-element block lies inside one chunk row):
 *
 * - **codes:** a `[wordsPerRow, rows8]` float matrix with one row per chunk of
 *   an 8-bit layer. Block k of a row owns words `86k … 86k+85`; element e of
 *   the block is byte `e mod 3` (little end first) of word `86k + ⌊e/3⌋`, so a
 *   word is `c₀ + 256·c₁ + 65536·c₂ < 2²⁴`, exact in float32, and is taken
 *   apart with floors of divisions by powers of two, which are exact.
 * - **absmax:** a `[blocksPerRow, rows8]` matrix, one float32 per block.
 * - **floats:** a `[chunkSize, rows32]` matrix with one row per chunk of a
 *   32-bit layer of the same plan.
 *
 * Padding (past a layer's end) holds the zero code and absmax 0.
 *
 * @category Backends
 */
export class QuantizedStateLayout {
  /** The element layout of parameters and gradients. */
  readonly chunks: ChunkLayout;
  /** 256-element blocks per chunk row. */
  readonly blocksPerRow: number;
  /** Code words per chunk row (86 per block). */
  readonly wordsPerRow: number;
  /** Chunk rows of 8-bit layers (the matrices have at least one row). */
  readonly rows8: number;
  /** Chunk rows of 32-bit layers (0 when every layer is 8-bit). */
  readonly rows32: number;
  /** For every 8-bit row, its chunk (length ≥ 1). */
  readonly rowChunk8: Float32Array;
  /** For every 32-bit row, its chunk (length ≥ 1). */
  readonly rowChunk32: Float32Array;
  /** For every chunk, its 8-bit row, or −1. */
  readonly chunkRow8: Float32Array;
  /** For every chunk, its 32-bit row, or −1. */
  readonly chunkRow32: Float32Array;

  constructor(chunks: ChunkLayout) {
    this.chunks = chunks;
    this.blocksPerRow = chunks.chunkSize / QUANT_BLOCK;
    this.wordsPerRow = this.blocksPerRow * WORDS_PER_BLOCK;
    this.chunkRow8 = new Float32Array(chunks.chunks).fill(-1);
    this.chunkRow32 = new Float32Array(chunks.chunks).fill(-1);
    const to8: number[] = [];
    const to32: number[] = [];
    for (const s of chunks.plan.segments) {
      const first = chunks.firstChunk[s.index];
      for (let y = first; y < first + chunks.chunkCount[s.index]; y++) {
        if (s.stateBits === 8) {
          this.chunkRow8[y] = to8.length;
          to8.push(y);
        } else {
          this.chunkRow32[y] = to32.length;
          to32.push(y);
        }
      }
    }
    this.rows8 = Math.max(1, to8.length);
    this.rows32 = to32.length;
    this.rowChunk8 = Float32Array.from(to8.length > 0 ? to8 : [0]);
    this.rowChunk32 = Float32Array.from(to32.length > 0 ? to32 : [0]);
  }

  /** The plan laid out. */
  get plan(): LayerPlan {
    return this.chunks.plan;
  }

  /** Packs per-layer codes (entries of 32-bit layers ignored) into the code matrix, padding at the zero code. */
  packCodes(codes: readonly (Uint8Array | null)[]): Float32Array {
    const out = new Float32Array(this.wordsPerRow * this.rows8).fill(ZERO_WORD);
    for (const s of this.plan.segments) {
      const layer = codes[s.index];
      if (s.stateBits !== 8 || layer === null) continue;
      const row0 = this.chunkRow8[this.chunks.firstChunk[s.index]];
      for (let i = 0; i < layer.length; i++) {
        const at = this.wordOf(row0, i);
        const place = 256 ** (i % QUANT_BLOCK % CODES_PER_WORD);
        const zero = SIGNED_CODE_BOOK.zeroCode;
        out[at] += (layer[i] - zero) * place;
      }
    }
    return out;
  }

  /** The codes of 8-bit layer `l` from a read-back code matrix. */
  unpackCodes(words: Float32Array, l: number): Uint8Array {
    const s = this.plan.segments[l];
    const out = new Uint8Array(s.end - s.start);
    const row0 = this.chunkRow8[this.chunks.firstChunk[l]];
    for (let i = 0; i < out.length; i++) {
      const word = words[this.wordOf(row0, i)];
      const slot = i % QUANT_BLOCK % CODES_PER_WORD;
      out[i] = Math.floor(word / 256 ** slot) % 256;
    }
    return out;
  }

  /** Packs per-layer absmax (entries of 32-bit layers ignored) into the absmax matrix, padding 0. */
  packAbsmax(absmax: readonly (Float32Array | null)[]): Float32Array {
    const out = new Float32Array(this.blocksPerRow * this.rows8);
    for (const s of this.plan.segments) {
      const layer = absmax[s.index];
      if (s.stateBits !== 8 || layer === null) continue;
      out.set(layer, this.chunkRow8[this.chunks.firstChunk[s.index]] * this.blocksPerRow);
    }
    return out;
  }

  /** The absmax of 8-bit layer `l` from a read-back absmax matrix. */
  unpackAbsmax(matrix: Float32Array, l: number): Float32Array {
    const s = this.plan.segments[l];
    const at = this.chunkRow8[this.chunks.firstChunk[l]] * this.blocksPerRow;
    return matrix.slice(at, at + blockCount(s.end - s.start));
  }

  /** Packs the values of the 32-bit layers into the float matrix, padding 0. */
  packFloats(values: readonly (Float32Array | null)[]): Float32Array {
    const out = new Float32Array(this.chunks.chunkSize * Math.max(1, this.rows32));
    for (const s of this.plan.segments) {
      const layer = values[s.index];
      if (s.stateBits !== 32 || layer === null || layer.length === 0) continue;
      out.set(layer, this.chunkRow32[this.chunks.firstChunk[s.index]] * this.chunks.chunkSize);
    }
    return out;
  }

  /** The values of 32-bit layer `l` from a read-back float matrix. */
  unpackFloats(matrix: Float32Array, l: number): Float32Array {
    const s = this.plan.segments[l];
    if (s.end === s.start) return new Float32Array(0);
    const at = this.chunkRow32[this.chunks.firstChunk[l]] * this.chunks.chunkSize;
    return matrix.slice(at, at + s.end - s.start);
  }

  /** The flat index in the code matrix of the word holding element i of a layer whose first row is `row0`. */
  private wordOf(row0: number, i: number): number {
    const size = this.chunks.chunkSize;
    const row = row0 + Math.floor(i / size);
    const e = i % size;
    const k = Math.floor(e / QUANT_BLOCK);
    return row * this.wordsPerRow + k * WORDS_PER_BLOCK + Math.floor((e % QUANT_BLOCK) / CODES_PER_WORD);
  }
}
