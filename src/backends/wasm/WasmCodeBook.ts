import { GUESS_BITS, SIGNED_CODE_BOOK, type CodeBook } from '../../quantization/CodeBook.js';
import { QUANT_BLOCK } from '../../quantization/blockwise.js';
import { CODE_BOOK_LAYOUT } from './generated/kernelsWasm.js';
import type { WasmHeap } from './WasmHeap.js';

/** Byte offsets of a code book in WebAssembly memory, as the 8-bit kernels read it (from their generator). */
const LAYOUT = CODE_BOOK_LAYOUT;
/** Two blocks of float64: the update kernel requantizes one block while it fills the other. */
const SCRATCH_BYTES = 2 * QUANT_BLOCK * 8;

/**
 * The code book of 8-bit momentum copied into a {@link WasmHeap}, once per
 * backend: the 256 codes (as float64), the 256 float64 thresholds, the 2¹⁵-byte
 * guess table and the zero code, plus 512 float64 of scratch where the
 * update kernel keeps two blocks of new momentum before requantizing them.
 *
 * @category Backends
 */
export class WasmCodeBook {
  /** Byte address of the tables (the kernels' `book` argument). */
  readonly address: number;
  /** Byte address of the 512-float64 scratch (two blocks; the kernels' `scratch` argument). */
  readonly scratch: number;
  private readonly heap: WasmHeap;
  private released = false;

  /**
   * @param book - the tables to copy. Default: the signed dynamic map.
   * @throws RangeError when the guess table is not the 2¹⁵ entries the kernels
   *   index, or is not {@link CodeBook.oneStep} (the kernels take one step from the guess).
   */
  constructor(heap: WasmHeap, book: CodeBook = SIGNED_CODE_BOOK) {
    if (GUESS_BITS !== 15 || book.guess.length !== 1 << 15) {
      throw new RangeError(`the WebAssembly 8-bit kernels index a 2^15-entry guess table, got ${book.guess.length} entries`);
    }
    if (!book.oneStep) throw new RangeError('the WebAssembly 8-bit kernels need a code book whose guess is one step from the code (oneStep)');
    this.heap = heap;
    this.address = heap.allocate(LAYOUT.bytes);
    this.scratch = heap.allocate(SCRATCH_BYTES);
    // Views made after both allocations: growth cannot detach them here.
    const buffer = heap.memory.buffer;
    // The codes as float64: each float32 code converts exactly.
    new Float64Array(buffer, this.address + LAYOUT.codes, book.values.length).set(book.values);
    new Float64Array(buffer, this.address + LAYOUT.thresholds, book.thresholds.length).set(book.thresholds);
    new Uint8Array(buffer, this.address + LAYOUT.guess, book.guess.length).set(book.guess);
    new Int32Array(buffer, this.address + LAYOUT.zeroCode, 1)[0] = book.zeroCode;
  }

  /** Gives the memory back to the heap; the addresses must not be used afterwards. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.heap.release(this.address, LAYOUT.bytes);
    this.heap.release(this.scratch, SCRATCH_BYTES);
  }
}
