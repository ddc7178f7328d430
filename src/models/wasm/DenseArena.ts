import { wasmModuleCache } from '../../util/wasmModuleCache.js';
import type { NumericType } from '../../numeric/NumericType.js';
import { DENSE_BASE64, DENSE_PANEL_VECTORS, DENSE_SCRATCH_BYTES, DENSE_SHARED_BASE64 } from '../../backends/wasm/generated/denseWasm.js';

/**
 * The exports of the dense kernel module (source: scripts/wasm/denseWat.mjs),
 * per element type: addresses are byte offsets into the arena's memory, sizes
 * count elements. `set_scratch` moves this instance's scratch bytes.
 *
 * @category Models
 */
export interface DenseExports {
  set_scratch(address: number): void;
  gather_f32(rowStart: number, idx: number, val: number, a: number, R: number, Q: number, rs: number, cs: number, skip: number): number;
  gather_f64(rowStart: number, idx: number, val: number, a: number, R: number, Q: number, rs: number, cs: number, skip: number): number;
  transpose_f32(dRowStart: number, dIdx: number, dVal: number, sRowStart: number, sIdx: number, sVal: number, R: number, Q: number): void;
  transpose_f64(dRowStart: number, dIdx: number, dVal: number, sRowStart: number, sIdx: number, sVal: number, R: number, Q: number): void;
  pack_f32(dst: number, src: number, Q: number, M: number, rs: number, cs: number): void;
  pack_f64(dst: number, src: number, Q: number, M: number, rs: number, cs: number): void;
  gemm_f32(out: number, ors: number, R: number, Q: number, M: number, rowStart: number, idx: number, val: number,
    b: number, bias: number, relu: number, mask: number, mrs: number): void;
  gemm_f64(out: number, ors: number, R: number, Q: number, M: number, rowStart: number, idx: number, val: number,
    b: number, bias: number, relu: number, mask: number, mrs: number): void;
}

/**
 * A matrix read with element strides: element (r, q) is at `address + (r·rowStride + q·colStride)·bytes`.
 *
 * @category Models
 */
export interface StridedMatrix {
  /** Byte address of element (0, 0). */
  readonly address: number;
  /** Rows. */
  readonly rows: number;
  /** Columns. */
  readonly cols: number;
  /** Elements from one row to the next. */
  readonly rowStride: number;
  /** Elements from one column to the next (1 for row-major; the row length for a transposed view). */
  readonly colStride: number;
}

/**
 * Room for a matrix in compressed rows: per row, its kept entries' column indices and values.
 *
 * @category Models
 */
export interface CompressedRows {
  /** Byte address of rows + 1 int32 row starts (entry numbers). */
  readonly rowStart: number;
  /** Byte address of up to rows × cols int32 column indices. */
  readonly idx: number;
  /** Byte address of up to rows × cols values. */
  readonly val: number;
}

/**
 * Room one product needs besides its operands: compressed rows of the left matrix and the packed right one.
 *
 * @category Models
 */
export interface ProductScratch extends CompressedRows {
  /** Byte address of the packed right-hand matrix ({@link DenseArena.packedBytes}). */
  readonly packed: number;
}

/**
 * What to do with a product's rows before they are stored.
 *
 * @category Models
 */
export interface ProductEpilogue {
  /** Byte address of one value per output column added to every row, or 0 for none. Default 0. */
  readonly bias?: number;
  /** Store max(0, x) (x > 0 ? x : 0, as the JS loops). Default false. */
  readonly relu?: boolean;
  /** Byte address of a matrix whose entries ≤ 0 zero the output (ReLU backward), or 0. Default 0. */
  readonly mask?: number;
  /** Row stride of the mask in elements. Default: the output's. */
  readonly maskRowStride?: number;
}

const ALIGN = 64;
const PAGE = 65536;
/** Room after every block: loads of bias and mask may read one panel past the last column. */
const SLACK = 16 * DENSE_PANEL_VECTORS;

const denseModules = wasmModuleCache(DENSE_BASE64, DENSE_SHARED_BASE64);

/**
 * The compiled dense kernel module for an ordinary or (with `shared`) a
 * shared memory, or null where WebAssembly SIMD (or, for `shared`,
 * `SharedArrayBuffer`) is missing. Compiled once each.
 *
 * @category Models
 */
export function denseModule(shared = false): WebAssembly.Module | null {
  return denseModules(shared);
}

/**
 * The arguments of one `gemm_T` call (see scripts/wasm/denseWat.mjs), in its order.
 *
 * @category Models
 */
export type GemmArguments = [
  out: number, ors: number, R: number, Q: number, M: number, rowStart: number, idx: number, val: number,
  b: number, bias: number, relu: number, mask: number, mrs: number,
];

/**
 * Runs a `gemm_T` call for an arena, e.g. with its rows split over worker threads ({@link DenseArena.useRows}).
 *
 * @category Models
 */
export interface GemmRunner {
  /** Computes every row of the call `args` (float64 kernels when `f64`), exactly as one `gemm_T` call would. */
  gemm(f64: boolean, args: GemmArguments): void;
}

/**
 * Whether this runtime runs the WebAssembly SIMD dense kernels.
 *
 * @category Models
 */
export function denseKernelsAvailable(): boolean {
  return denseModule() !== null;
}

/**
 * One WebAssembly memory holding the operands of dense-layer products, and
 * the SIMD kernels over it (scripts/wasm/denseWat.mjs). Blocks are laid out
 * with a bump allocator: {@link DenseArena.reset}, then
 * {@link DenseArena.allocate} each block, then {@link DenseArena.commit}
 * grows the memory once. Growing detaches earlier views, so views are made
 * after the commit ({@link DenseArena.view}).
 *
 * A product runs in three kernels: the left matrix becomes compressed rows
 * (zeros left out when asked), the right one is packed into panels of
 * {@link DENSE_PANEL_VECTORS} vectors, and a register-blocked loop sums.
 *
 * @category Models
 */
export class DenseArena<T extends NumericType> {
  /** Element type of every product. */
  readonly dtype: T;
  /** Bytes per element. */
  readonly bytes: number;
  /** The memory every block lives in (shared when the arena was created `shared`). */
  readonly memory: WebAssembly.Memory;
  /** The compiled kernel module the arena runs (the shared-memory build for a shared arena). */
  readonly module: WebAssembly.Module;
  /** The calling thread's kernels. */
  readonly kernels: DenseExports;
  private top = DENSE_SCRATCH_BYTES;
  /** Where {@link DenseArena.reset} starts again: after the blocks {@link DenseArena.allocateFixed} kept. */
  private floor = DENSE_SCRATCH_BYTES;
  private runner: GemmRunner | null = null;

  private constructor(dtype: T, module: WebAssembly.Module, shared: boolean) {
    this.dtype = dtype;
    this.bytes = dtype === 'float32' ? 4 : 8;
    this.module = module;
    this.memory = shared ? new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true }) : new WebAssembly.Memory({ initial: 1 });
    this.kernels = new WebAssembly.Instance(module, { env: { memory: this.memory } }).exports as unknown as DenseExports;
  }

  /**
   * A new arena for `dtype`, or null where WebAssembly SIMD is missing. With
   * `shared` (default false) its memory is a shared one, which worker threads
   * can run the kernels over; null where `SharedArrayBuffer` is missing too.
   */
  static create<D extends NumericType>(dtype: D, shared = false): DenseArena<D> | null {
    const module = denseModule(shared);
    return module === null ? null : new DenseArena(dtype, module, shared);
  }

  /** Whether the memory is shared. */
  get shared(): boolean {
    return typeof SharedArrayBuffer === 'function' && this.memory.buffer instanceof SharedArrayBuffer;
  }

  /** Forgets every block but those of {@link DenseArena.allocateFixed} (the memory stays). */
  reset(): void {
    this.top = this.floor;
  }

  /** A block of `bytes` bytes that {@link DenseArena.reset} keeps (for worker threads' control words); its address. Grows the memory at once. */
  allocateFixed(bytes: number): number {
    if (this.top !== this.floor) throw new Error('DenseArena.allocateFixed: call it before any other block (or right after reset)');
    const address = this.allocate(bytes);
    this.floor = this.top;
    this.commit();
    return address;
  }

  /** Routes every `gemm_T` call through `runner` (e.g. worker threads); null: the calling thread's kernels. */
  useRows(runner: GemmRunner | null): void {
    this.runner = runner;
  }

  /** A block of `bytes` bytes (64-byte aligned, with a panel of slack after it); its address. */
  allocate(bytes: number): number {
    const address = this.top;
    this.top += Math.ceil((bytes + SLACK) / ALIGN) * ALIGN;
    if (this.top > 2 ** 32) throw new RangeError(`dense kernels: WebAssembly memory is full (${this.top} bytes asked)`);
    return address;
  }

  /** A block for `count` elements. */
  allocateElements(count: number): number {
    return this.allocate(count * this.bytes);
  }

  /** Grows the memory to hold every block allocated; earlier views may be detached after this. */
  commit(): void {
    const have = this.memory.buffer.byteLength;
    if (this.top > have) this.memory.grow(Math.ceil((this.top - have) / PAGE));
  }

  /** A view of `length` elements at `address`, valid until the next {@link DenseArena.commit} that grows. */
  view(address: number, length: number): T extends 'float32' ? Float32Array : Float64Array {
    const buffer = this.memory.buffer;
    return (this.dtype === 'float32' ? new Float32Array(buffer, address, length) : new Float64Array(buffer, address, length)) as T extends 'float32'
      ? Float32Array
      : Float64Array;
  }

  /** Bytes of a right-hand matrix of `rows` × `cols` once packed into panels. */
  static packedBytes(rows: number, cols: number, dtype: NumericType): number {
    const lanes = dtype === 'float32' ? 4 : 2;
    const vectors = Math.ceil(cols / lanes);
    return rows * vectors * 16;
  }

  /**
   * out[r·outRowStride + j] = epilogue(bias[j] + Σ_q a(r, q)·b(q, j)) for
   * r < a.rows, j < b.cols. With `skipZeros`, zero entries of `a` are left
   * out of the sums (the same sums, fewer terms, unless b holds ±Infinity
   * or NaN). Returns the nonzero count kept from `a`.
   */
  product(out: number, outRowStride: number, a: StridedMatrix, b: StridedMatrix, scratch: ProductScratch, skipZeros: boolean, epilogue: ProductEpilogue = {}): number {
    if (a.cols !== b.rows) throw new RangeError(`dense product: ${a.rows} × ${a.cols} times ${b.rows} × ${b.cols}`);
    const nnz = this.compress(a, scratch, skipZeros);
    this.multiply(out, outRowStride, scratch, a.rows, b, scratch.packed, epilogue);
    return nnz;
  }

  /** Writes `a` into compressed rows (zeros left out with `skipZeros`); returns the entry count. */
  compress(a: StridedMatrix, into: CompressedRows, skipZeros: boolean): number {
    const gather = this.dtype === 'float64' ? this.kernels.gather_f64 : this.kernels.gather_f32;
    return gather(into.rowStart, into.idx, into.val, a.address, a.rows, a.cols, a.rowStride, a.colStride, skipZeros ? 1 : 0);
  }

  /** Compressed rows of the transpose (cols × rows) of a `rows` × `cols` matrix in compressed rows. */
  transpose(from: CompressedRows, rows: number, cols: number, into: CompressedRows): void {
    const t = this.dtype === 'float64' ? this.kernels.transpose_f64 : this.kernels.transpose_f32;
    t(into.rowStart, into.idx, into.val, from.rowStart, from.idx, from.val, rows, cols);
  }

  /**
   * out = epilogue(bias + a·b) for `a` in compressed rows (`rows` of them,
   * b.rows columns); `b` is packed into `packed` first.
   */
  multiply(out: number, outRowStride: number, a: CompressedRows, rows: number, b: StridedMatrix, packed: number, epilogue: ProductEpilogue = {}): void {
    const k = this.kernels;
    const f64 = this.dtype === 'float64';
    (f64 ? k.pack_f64 : k.pack_f32)(packed, b.address, b.rows, b.cols, b.rowStride, b.colStride);
    const args: GemmArguments = [
      out, outRowStride, rows, b.rows, b.cols, a.rowStart, a.idx, a.val, packed,
      epilogue.bias ?? 0, epilogue.relu === true ? 1 : 0, epilogue.mask ?? 0, epilogue.maskRowStride ?? outRowStride,
    ];
    if (this.runner !== null) this.runner.gemm(f64, args);
    else (f64 ? k.gemm_f64 : k.gemm_f32)(...args);
  }

  /** Room for a `rows` × `cols` matrix in compressed rows. */
  allocateCompressed(rows: number, cols: number): CompressedRows {
    return { rowStart: this.allocate((rows + 1) * 4), idx: this.allocate(rows * cols * 4), val: this.allocateElements(rows * cols) };
  }

  /** Scratch for products whose left matrix has at most `rows` rows and `entries` elements and whose packed right matrix takes at most `packedBytes`. */
  allocateScratch(rows: number, entries: number, packedBytes: number): ProductScratch {
    return { ...this.allocateCompressed(rows, Math.ceil(entries / Math.max(1, rows))), packed: this.allocate(packedBytes) };
  }
}
