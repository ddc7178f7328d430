import type { ArrayFor, NumericType } from '../../numeric/NumericType.js';
import { columnSums } from '../denseKernels.js';
import { DenseArena, type CompressedRows, type ProductScratch, type StridedMatrix } from './DenseArena.js';
import { DenseThreads, type DenseThreadOptions } from './DenseThreads.js';

/**
 * How a {@link WasmPerceptronPass} runs.
 *
 * @category Models
 */
export interface WasmPassOptions {
  /** Leave zero inputs out of the sums. Default true. */
  readonly skipZeros?: boolean;
  /** Threads in all, the calling one included, that share the rows of each matrix product (Node only; see {@link DenseThreads}). Default 1. */
  readonly threads?: number;
  /** How the threads split the products. Default: the defaults of {@link DenseThreadOptions}. */
  readonly threadOptions?: DenseThreadOptions;
}

/** Arena addresses of one dense layer's blocks. */
interface LayerBlocks {
  /** in × out weights, as the model stores them. */
  weight: number;
  /** out biases. */
  bias: number;
  /** n × out: the ReLU output of a hidden layer, the logits of the last. */
  output: number;
  /** n × out: gradient of the loss at this layer's output (before the ReLU). */
  delta: number;
  /** in × out: the weight gradient. */
  weightGradient: number;
  /** The layer's input of the last forward pass in compressed rows (reused, transposed, by the backward pass). */
  inputRows: CompressedRows;
}

/**
 * The forward and backward pass of a perceptron without layer norm (dense
 * layers, ReLU between them) on the WebAssembly SIMD dense kernels
 * (scripts/wasm/denseWat.mjs). Every operand lives in one arena, laid out
 * for the largest batch seen; per pass, only the batch, the weights and the
 * gradients cross between JavaScript and WebAssembly memory.
 *
 * @category Models
 */
export class WasmPerceptronPass<T extends NumericType> {
  /** Widths from input to output. */
  readonly sizes: readonly number[];
  /** Leave zero inputs out of the sums (most MNIST pixels, half the ReLU outputs). Default true. */
  readonly skipZeros: boolean;
  private readonly arena: DenseArena<T>;
  private rows = 0;
  private input = 0;
  private layers: LayerBlocks[] = [];
  private scratch: ProductScratch | null = null;
  /** Rows of the batch of the last forward pass. */
  private lastRows = 0;
  /** Threads asked for; the workers start with the first pass. */
  private readonly threadCount: number;
  private readonly threadOptions: DenseThreadOptions;
  /** The workers, once started; a string says why there are none. */
  private threadPool: DenseThreads | string | null = null;

  private constructor(arena: DenseArena<T>, sizes: readonly number[], skipZeros: boolean, threads: number, threadOptions: DenseThreadOptions) {
    this.arena = arena;
    this.sizes = sizes;
    this.skipZeros = skipZeros;
    this.threadCount = threads;
    this.threadOptions = threadOptions;
  }

  /**
   * A pass for `sizes` in `dtype`, or null where WebAssembly SIMD is
   * missing. With `threads` above 1 its arena lives in a shared memory and
   * worker threads start with the first pass; where they cannot (not Node),
   * the pass runs on one thread and warns once.
   */
  static create<D extends NumericType>(sizes: readonly number[], dtype: D, options: WasmPassOptions = {}): WasmPerceptronPass<D> | null {
    const threads = Math.max(1, Math.floor(options.threads ?? 1));
    const arena = (threads > 1 ? DenseArena.create(dtype, true) : null) ?? DenseArena.create(dtype);
    return arena === null ? null : new WasmPerceptronPass(arena, sizes, options.skipZeros ?? true, threads, options.threadOptions ?? {});
  }

  /** The worker threads, once the first pass started them (null before, or when the pass runs on one thread). */
  get threads(): DenseThreads | null {
    return this.threadPool instanceof DenseThreads ? this.threadPool : null;
  }

  /** Stops the worker threads (if any); later passes run on the calling thread. Calling it again does nothing. */
  dispose(): void {
    if (this.threadPool instanceof DenseThreads) this.threadPool.dispose();
    this.arena.useRows(null);
    this.threadPool = 'disposed';
  }

  /**
   * Runs the layers on the first `n` rows of `input` (n × sizes[0]), or, with
   * `rows`, on those rows of `input` in that order (`n` = rows.length; each
   * row is copied straight into the arena, with no batch matrix in between),
   * with the given per-layer weights and biases, and returns the logits
   * (n × classes), a view valid until the next pass.
   */
  forward(input: ArrayFor<T>, n: number, weights: readonly ArrayFor<T>[], biases: readonly ArrayFor<T>[], rows: ArrayLike<number> | null = null): ArrayFor<T> {
    this.reserve(Math.max(1, n));
    const arena = this.arena;
    const s = this.sizes;
    const L = s.length - 1;
    const batch = arena.view(this.input, n * s[0]);
    if (rows === null) batch.set(input.subarray(0, n * s[0]));
    else for (let i = 0; i < n; i++) batch.set(input.subarray(rows[i] * s[0], (rows[i] + 1) * s[0]), i * s[0]);
    let h = this.input;
    for (let l = 0; l < L; l++) {
      const b = this.layers[l];
      const [k, m] = [s[l], s[l + 1]];
      arena.view(b.weight, k * m).set(weights[l]);
      arena.view(b.bias, m).set(biases[l]);
      const a: StridedMatrix = { address: h, rows: n, cols: k, rowStride: k, colStride: 1 };
      const w: StridedMatrix = { address: b.weight, rows: k, cols: m, rowStride: m, colStride: 1 };
      arena.compress(a, b.inputRows, this.skipZeros);
      arena.multiply(b.output, m, b.inputRows, n, w, this.scratch!.packed, { bias: b.bias, relu: l < L - 1 });
      h = b.output;
    }
    this.lastRows = n;
    return arena.view(this.layers[L - 1].output, n * s[L]) as ArrayFor<T>;
  }

  /** Where the caller writes d(loss)/d(logits) of the last forward pass (n × classes). */
  logitGradient(): ArrayFor<T> {
    const L = this.sizes.length - 1;
    return this.arena.view(this.layers[L - 1].delta, this.lastRows * this.sizes[L]) as ArrayFor<T>;
  }

  /**
   * Back-propagates {@link WasmPerceptronPass.logitGradient} through the
   * last forward pass and writes each layer's weight and bias gradient
   * (overwriting them).
   */
  backward(weightGradients: readonly ArrayFor<T>[], biasGradients: readonly ArrayFor<T>[]): void {
    const arena = this.arena;
    const s = this.sizes;
    const n = this.lastRows;
    for (let l = s.length - 2; l >= 0; l--) {
      const b = this.layers[l];
      const [k, m] = [s[l], s[l + 1]];
      const h = l === 0 ? this.input : this.layers[l - 1].output;
      const delta: StridedMatrix = { address: b.delta, rows: n, cols: m, rowStride: m, colStride: 1 };
      // the input's transpose, from the forward pass's compressed rows (a counting sort, no second gather)
      arena.transpose(b.inputRows, n, k, this.scratch!);
      arena.multiply(b.weightGradient, m, this.scratch!, k, delta, this.scratch!.packed);
      weightGradients[l].set(arena.view(b.weightGradient, k * m));
      columnSums(biasGradients[l], arena.view(b.delta, n * m), n, m);
      if (l === 0) break;
      const weightT: StridedMatrix = { address: b.weight, rows: m, cols: k, rowStride: 1, colStride: m };
      arena.product(this.layers[l - 1].delta, k, delta, weightT, this.scratch!, this.skipZeros, { mask: h, maskRowStride: k });
    }
  }

  /** Lays the arena out for batches of up to `n` rows (once per new maximum). */
  private reserve(n: number): void {
    if (n <= this.rows) return;
    const arena = this.arena;
    const s = this.sizes;
    const widest = Math.max(...s);
    arena.reset();
    if (this.threadPool === null) this.startThreads();
    this.input = arena.allocateElements(n * s[0]);
    this.layers = [];
    let packed = 0;
    for (let l = 0; l + 1 < s.length; l++) {
      const [k, m] = [s[l], s[l + 1]];
      this.layers.push({
        weight: arena.allocateElements(k * m),
        bias: arena.allocateElements(m),
        output: arena.allocateElements(n * m),
        delta: arena.allocateElements(n * m),
        weightGradient: arena.allocateElements(k * m),
        inputRows: arena.allocateCompressed(n, k),
      });
      packed = Math.max(packed, DenseArena.packedBytes(k, m, arena.dtype), DenseArena.packedBytes(n, m, arena.dtype), DenseArena.packedBytes(m, k, arena.dtype));
    }
    this.scratch = arena.allocateScratch(Math.max(n, widest), n * widest, packed);
    arena.commit();
    this.rows = n;
  }

  /** Starts the workers (before the first layout: their control block stays at the arena's start). */
  private startThreads(): void {
    if (this.threadCount < 2) {
      this.threadPool = 'one thread asked for';
      return;
    }
    this.threadPool = DenseThreads.start(this.arena as DenseArena<NumericType>, this.threadCount, this.threadOptions);
    if (this.threadPool instanceof DenseThreads) this.arena.useRows(this.threadPool);
    else {
      const warn = this.threadOptions.onWarning ?? ((message: string) => console.warn(`lars-ts: ${message}`));
      warn(`threads: ${this.threadCount} asked for, but ${this.threadPool}; the dense products run on one thread`);
    }
  }
}
