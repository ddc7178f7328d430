import { Matrix } from '../numeric/Matrix.js';
import { allocateArray, type ArrayFor, type NumericType } from '../numeric/NumericType.js';
import { Vector } from '../numeric/Vector.js';
import { SeededRandom } from '../util/SeededRandom.js';
import { columnSums, matmulBias, matmulTransposeLeft, matmulTransposeRight } from './denseKernels.js';
import type { FlatParameters } from './FlatParameters.js';
import { ModelStorage, type VectorAllocator } from './ModelStorage.js';
import type { FullModel, GradientResult } from './FullModel.js';
import { layerNormBackward, layerNormForward } from './layerNormKernels.js';
import type { ParameterLayout, ParameterTensor } from './ParameterLayout.js';
import { softmaxCrossEntropy } from './softmaxCrossEntropy.js';
import type { ClassifierEvaluation } from './evaluateModel.js';
import { DenseThreads } from './wasm/DenseThreads.js';
import { WasmPerceptronPass } from './wasm/WasmPerceptronPass.js';

/**
 * Where a perceptron's matrix products run:
 * - `'auto'`: WebAssembly SIMD when the runtime has it and the model has no layer norm, else JS loops.
 * - `'wasm'`: WebAssembly SIMD; an error where that is missing or with layer norm.
 * - `'js'`: plain JavaScript loops (the reference).
 *
 * @category Models
 */
export type DenseKernelChoice = 'auto' | 'wasm' | 'js';

/**
 * How to build a {@link MultilayerPerceptron}.
 *
 * @category Models
 */
export interface MultilayerPerceptronConfig<T extends NumericType> {
  /** Widths from input to output, e.g. `[784, 128, 10]`; at least two entries, all positive integers. */
  readonly layerSizes: readonly number[];
  /** Numeric type of parameters and computation. */
  readonly dtype: T;
  /** Layer-normalize every hidden layer (before ReLU), with a learned gain and shift. Default false. */
  readonly layerNorm?: boolean;
  /** ε inside the layer norm's square root. Default 1e-5. */
  readonly layerNormEpsilon?: number;
  /** Seed of the weight initialization; the same seed gives the same weights. Default 42. */
  readonly seed?: number;
  /**
   * Where the matrix products run. Default `'auto'`: WebAssembly SIMD where
   * available (several times faster; sums in another order, so results
   * differ from the JS loops in the last bits), else JS loops.
   */
  readonly kernels?: DenseKernelChoice;
  /**
   * Threads in all, the calling one included, that share the rows of each
   * matrix product of the WebAssembly kernels: a whole number ≥ 1, or
   * `'auto'` for one per core. Default 1 (no worker threads). Each row is
   * computed exactly as on one thread, so results are bit-identical for any
   * count; on a machine with spare cores a big batch trains faster. Node
   * only (worker_threads): elsewhere the products run on one thread (with a
   * warning when a number above 1 was asked). Needs the WebAssembly kernels (not `kernels: 'js'`, no layer
   * norm). The workers start with the first pass; call
   * {@link MultilayerPerceptron.dispose} when done to stop them (they never
   * keep a process alive). A `deepCopy()` gets its own workers.
   */
  readonly threads?: 'auto' | number;
  /** Where warnings go (worker threads that cannot start, or one lost and recovered). Default `console.warn` with a `lars-ts:` prefix. */
  readonly onWarning?: (message: string) => void;
}

/** Per-layer index of each tensor in the flat vector. */
interface LayerTensors {
  weight: number;
  bias: number;
  gain: number | null;
  shift: number | null;
}

/** Buffers of one forward/backward pass for batches of up to `rows` rows. */
interface Workspace {
  rows: number;
  /** acts[l]: input of dense layer l (acts[0] unused: the batch itself). */
  acts: FloatArrayFor[];
  /** pre[l]: output of dense layer l before normalization and activation. */
  pre: FloatArrayFor[];
  normalized: (FloatArrayFor | null)[];
  invStd: (Float64Array | null)[];
  delta: FloatArrayFor[];
}

type FloatArrayFor = Float32Array | Float64Array;

/** Rows per block of a forward-only pass on the WebAssembly kernels (predict, loss, evaluate). */
const FORWARD_BLOCK_ROWS = 4096;

/**
 * A multilayer perceptron for classification: dense layers with bias, ReLU
 * between them, optional layer normalization of each hidden layer, and a
 * softmax cross-entropy loss at the end. Input `Matrix<T>` (a row per
 * example), output the class probabilities as a `Matrix<T>`; targets are
 * one-hot (or soft) rows of the same shape.
 *
 * All parameters live in one flat typed array; the layout lists, per layer,
 * `dense<l>.weight` (in × out, row-major), `dense<l>.bias`, and with layer
 * norm `norm<l>.gain` and `norm<l>.shift` (kind `'norm'`). Weights start
 * He-normal from the seed, biases and shifts at 0, gains at 1.
 *
 * @example
 * ```ts
 * const mlp = new MultilayerPerceptron({ layerSizes: [784, 128, 10], dtype: 'float32', seed: 1 });
 * const { loss, gradient } = mlp.computeGradients(x, oneHot(labels, 10, 'float32'));
 * ```
 *
 * @category Models
 */
export class MultilayerPerceptron<T extends NumericType> implements FullModel<T, Matrix<T>, Matrix<T>> {
  /** Widths from input to output. */
  readonly layerSizes: readonly number[];
  /** Numeric type of parameters and computation. */
  readonly dtype: T;
  /** Whether hidden layers are layer-normalized. */
  readonly layerNorm: boolean;
  /** ε of the layer norm. */
  readonly layerNormEpsilon: number;
  /** Seed of the initialization. */
  readonly seed: number;
  /** Where the matrix products run, as configured. */
  readonly kernels: DenseKernelChoice;
  /** Threads asked for the matrix products, as configured (`'auto'` or a whole number). */
  readonly threads: 'auto' | number;
  /** Where warnings go, as configured (undefined: `console.warn`). */
  protected readonly onWarning: ((message: string) => void) | undefined;

  private readonly storage: ModelStorage<T>;
  private readonly tensors: LayerTensors[];
  private workspace: Workspace | null = null;
  /** The WebAssembly pass, or null when the JS loops run. */
  private readonly wasmPass: WasmPerceptronPass<T> | null;

  /**
   * @throws RangeError when `layerSizes` has fewer than two entries or a width is not a positive integer.
   */
  constructor(config: MultilayerPerceptronConfig<T>) {
    const sizes = config.layerSizes;
    if (!Array.isArray(sizes) || sizes.length < 2 || !sizes.every((s) => Number.isInteger(s) && s >= 1)) {
      throw new RangeError(`layerSizes must list at least two positive integer widths, got ${JSON.stringify(sizes)}`);
    }
    const epsilon = config.layerNormEpsilon ?? 1e-5;
    if (!(epsilon > 0)) throw new RangeError(`layerNormEpsilon must be positive, got ${epsilon}`);
    this.layerSizes = Object.freeze([...sizes]);
    this.dtype = config.dtype;
    this.layerNorm = config.layerNorm ?? false;
    this.layerNormEpsilon = epsilon;
    this.seed = config.seed ?? 42;
    this.kernels = config.kernels ?? 'auto';
    if (!['auto', 'wasm', 'js'].includes(this.kernels)) {
      throw new RangeError(`kernels must be 'auto', 'wasm' or 'js', got ${JSON.stringify(config.kernels)}`);
    }
    if (this.kernels === 'wasm' && this.layerNorm) throw new RangeError(`kernels 'wasm' does not run layer norm yet; use 'auto' or 'js'`);
    this.threads = config.threads === undefined ? 1 : config.threads;
    const threads = this.threads;
    if (threads !== 'auto' && !(Number.isInteger(threads) && threads >= 1)) {
      throw new RangeError(`threads must be a whole number ≥ 1 or 'auto', got ${JSON.stringify(threads)}`);
    }
    if (threads !== 1 && (this.kernels === 'js' || this.layerNorm)) {
      throw new RangeError(`threads split the WebAssembly kernels' products, which do not run with ${this.layerNorm ? 'layer norm' : "kernels 'js'"}; use threads: 1`);
    }
    this.onWarning = config.onWarning;
    this.wasmPass =
      this.kernels === 'js' || this.layerNorm
        ? null
        : WasmPerceptronPass.create(this.layerSizes, this.dtype, {
            threads: threads === 'auto' ? DenseThreads.cores() : threads,
            threadOptions: { onWarning: config.onWarning },
          });
    if (this.kernels === 'wasm' && this.wasmPass === null) throw new Error(`kernels 'wasm' needs WebAssembly SIMD, which this runtime lacks`);
    const { layout, tensors } = buildLayout(this.layerSizes, this.layerNorm);
    this.tensors = tensors;
    this.storage = new ModelStorage(layout, config.dtype);
    this.initialize();
  }

  /**
   * Stops the worker threads of the matrix products (see
   * {@link MultilayerPerceptronConfig.threads}); the model keeps working, on
   * one thread. Calling it again does nothing.
   */
  dispose(): void {
    this.wasmPass?.dispose();
  }

  /** Worker threads of the matrix products now running (0 before the first pass, with `threads: 1`, or after {@link MultilayerPerceptron.dispose}). */
  get workerThreads(): number {
    return this.wasmPass?.threads?.workers ?? 0;
  }

  /** Number of trainable parameters. */
  get parameterCount(): number {
    return this.params.length;
  }

  /**
   * Moves the parameters and the gradient storage into vectors from
   * `allocate` (the optimizer's `vectorAllocator`), so optimizer steps copy
   * nothing; `optimize()` calls it. A second call with the same allocator
   * does nothing. Afterwards {@link computeGradients}
   * returns one reused gradient vector, overwritten by the next call.
   */
  adoptStorage(allocate: VectorAllocator): void {
    this.storage.adopt(allocate);
  }

  private get params(): FlatParameters<T> {
    return this.storage.parameters;
  }

  /** Number of classes (the last width). */
  get classes(): number {
    return this.layerSizes[this.layerSizes.length - 1];
  }

  /** The live flat parameter vector: changing it changes the model. */
  getParameters(): Vector<T> {
    return this.params.vector;
  }

  /** Copies `parameters` in. @throws on a wrong length or type; nothing changes then. */
  setParameters(parameters: Vector<T>): void {
    this.params.assign(parameters, this.constructor.name);
  }

  /** The tensors of the flat vector, in order. */
  parameterLayout(): ParameterLayout {
    return this.params.layout;
  }

  /** Class probabilities, one row per input row. */
  predict(input: Matrix<T>): Matrix<T> {
    this.checkInput(input);
    const logits = this.forward(input);
    const n = input.rows;
    const c = this.classes;
    const probabilities = allocateArray(this.dtype, n * c);
    probabilities.set(logits.subarray(0, n * c));
    softmaxInPlace(probabilities, n, c);
    return new Matrix<T>(n, c, probabilities);
  }

  /** The mean cross-entropy of a batch, without a gradient. */
  computeLoss(input: Matrix<T>, target: Matrix<T>): number {
    this.checkInput(input, target);
    const logits = this.forward(input);
    return softmaxCrossEntropy(logits, target.data, input.rows, this.classes);
  }

  /** Mean cross-entropy and argmax accuracy on a data set, in one forward pass. */
  evaluate(input: Matrix<T>, target: Matrix<T>): ClassifierEvaluation {
    this.checkInput(input, target);
    const n = input.rows;
    const c = this.classes;
    const logits = this.forward(input);
    const t = target.data;
    let hits = 0;
    for (let i = 0; i < n; i++) {
      const r = i * c;
      let p = 0;
      let y = 0;
      for (let j = 1; j < c; j++) {
        if (logits[r + j] > logits[r + p]) p = j;
        if (t[r + j] > t[r + y]) y = j;
      }
      if (p === y) hits++;
    }
    const loss = softmaxCrossEntropy(logits, t, n, c);
    return { loss, accuracy: n === 0 ? 0 : hits / n };
  }

  /** Mean cross-entropy of the batch and its gradient (a new vector in the layout's order). */
  computeGradients(input: Matrix<T>, target: Matrix<T>): GradientResult<T> {
    this.checkInput(input, target);
    return this.gradients(input, target, null);
  }

  /**
   * {@link computeGradients} of the examples at `rows` (indices into the rows
   * of `input` and `target`, in that order): on the WebAssembly kernels each
   * row is copied straight into their memory, so the training loop builds no
   * batch matrix. The result equals `computeGradients` of those rows.
   *
   * @throws RangeError for a row that is not an index of `input`.
   */
  computeGradientsOfRows(input: Matrix<T>, target: Matrix<T>, rows: ArrayLike<number>): GradientResult<T> {
    this.checkInput(input, target);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      if (!Number.isInteger(r) || r < 0 || r >= input.rows) throw new RangeError(`rows[${i}] = ${r} is not a row of the ${input.rows}-row input`);
    }
    if (this.wasmPass === null) return this.gradients(input.selectRows(rows), target.selectRows(rows), null);
    return this.gradients(input, target.selectRows(rows), rows);
  }

  /** The loss and gradient of `input` (its `rows` when given; `target` already holds just the batch's rows). */
  private gradients(input: Matrix<T>, target: Matrix<T>, rows: ArrayLike<number> | null): GradientResult<T> {
    const n = rows === null ? input.rows : rows.length;
    const logits = this.forward(input, true, rows);
    if (this.wasmPass !== null) {
      const loss = softmaxCrossEntropy(logits, target.data, n, this.classes, this.wasmPass.logitGradient());
      const grad = this.storage.gradients();
      this.wasmPass.backward(
        this.tensors.map((t) => grad.views[t.weight]),
        this.tensors.map((t) => grad.views[t.bias]),
      );
      return { loss, gradient: grad.vector };
    }
    const ws = this.workspace!;
    const L = this.layerSizes.length - 1;
    const lastDelta = ws.delta[L - 1];
    const loss = softmaxCrossEntropy(logits, target.data, n, this.classes, lastDelta);
    const grad = this.storage.gradients();
    const p = this.params.views;
    for (let l = L - 1; l >= 0; l--) {
      const k = this.layerSizes[l];
      const m = this.layerSizes[l + 1];
      const t = this.tensors[l];
      const d = ws.delta[l];
      const layerInput = l === 0 ? input.data : ws.acts[l];
      matmulTransposeLeft(grad.views[t.weight], layerInput, d, n, k, m);
      columnSums(grad.views[t.bias], d, n, m);
      if (l === 0) break;
      const below = ws.delta[l - 1];
      matmulTransposeRight(below, d, p[t.weight], n, k, m);
      const act = ws.acts[l];
      for (let e = 0; e < n * k; e++) if (act[e] <= 0) below[e] = 0;
      const tb = this.tensors[l - 1];
      if (tb.gain !== null && tb.shift !== null) {
        layerNormBackward(below, grad.views[tb.gain], grad.views[tb.shift], below, ws.normalized[l - 1]!, ws.invStd[l - 1]!, p[tb.gain], n, k);
      }
    }
    return { loss, gradient: grad.vector };
  }

  /** An independent copy with the same configuration and parameters. */
  deepCopy(): MultilayerPerceptron<T> {
    const copy = new MultilayerPerceptron<T>({
      layerSizes: this.layerSizes,
      dtype: this.dtype,
      layerNorm: this.layerNorm,
      layerNormEpsilon: this.layerNormEpsilon,
      seed: this.seed,
      kernels: this.kernels,
      threads: this.threads,
      onWarning: this.onWarning,
    });
    copy.setParameters(this.params.vector);
    return copy;
  }

  /**
   * Runs the layers and returns the logits buffer (n × classes, inside the
   * workspace), of `input`, or of its `rows` in that order (only with the
   * WebAssembly pass).
   */
  private forward(input: Matrix<T>, forGradients = false, rows: ArrayLike<number> | null = null): FloatArrayFor {
    const n = rows === null ? input.rows : rows.length;
    if (this.wasmPass !== null) {
      const p = this.params.views;
      const weights = this.tensors.map((t) => p[t.weight]);
      const biases = this.tensors.map((t) => p[t.bias]);
      // A gradient needs the whole batch at once; a forward-only pass over many rows goes in blocks,
      // so the arena stays the size of a training batch instead of growing with an evaluation set.
      if (forGradients || n <= FORWARD_BLOCK_ROWS) return this.wasmPass.forward(input.data, n, weights, biases, rows);
      const k = this.layerSizes[0];
      const c = this.classes;
      const logits = allocateArray(this.dtype, n * c);
      for (let r0 = 0; r0 < n; r0 += FORWARD_BLOCK_ROWS) {
        const r1 = Math.min(n, r0 + FORWARD_BLOCK_ROWS);
        logits.set(this.wasmPass.forward(input.data.subarray(r0 * k, r1 * k) as ArrayFor<T>, r1 - r0, weights, biases), r0 * c);
      }
      return logits;
    }
    const ws = this.workspaceFor(n);
    const p = this.params.views;
    const L = this.layerSizes.length - 1;
    let h: FloatArrayFor = input.data;
    for (let l = 0; l < L; l++) {
      const k = this.layerSizes[l];
      const m = this.layerSizes[l + 1];
      const t = this.tensors[l];
      const z = ws.pre[l];
      matmulBias(z, h, p[t.weight], p[t.bias], n, k, m);
      if (l === L - 1) return z;
      const a = ws.acts[l + 1];
      if (t.gain !== null && t.shift !== null) {
        layerNormForward(a, ws.normalized[l]!, ws.invStd[l]!, z, p[t.gain], p[t.shift], n, m, this.layerNormEpsilon);
        for (let e = 0; e < n * m; e++) if (a[e] < 0) a[e] = 0;
      } else {
        // NaN stays NaN (a comparison alone would turn it into 0 and hide bad input).
        for (let e = 0; e < n * m; e++) a[e] = z[e] > 0 || z[e] !== z[e] ? z[e] : 0;
      }
      h = a;
    }
    throw new Error('unreachable: a perceptron has at least one layer');
  }

  private workspaceFor(n: number): Workspace {
    if (this.workspace !== null && this.workspace.rows >= n) return this.workspace;
    const sizes = this.layerSizes;
    const L = sizes.length - 1;
    const alloc = (len: number): FloatArrayFor => allocateArray(this.dtype, len);
    const ws: Workspace = { rows: n, acts: [], pre: [], normalized: [], invStd: [], delta: [] };
    for (let l = 0; l <= L; l++) ws.acts.push(l === 0 ? alloc(0) : alloc(n * sizes[l]));
    for (let l = 0; l < L; l++) {
      ws.pre.push(alloc(n * sizes[l + 1]));
      ws.delta.push(alloc(n * sizes[l + 1]));
      const normed = this.layerNorm && l < L - 1;
      ws.normalized.push(normed ? alloc(n * sizes[l + 1]) : null);
      ws.invStd.push(normed ? new Float64Array(n) : null);
    }
    this.workspace = ws;
    return ws;
  }

  private initialize(): void {
    const rng = new SeededRandom(this.seed);
    const p = this.params.views;
    for (let l = 0; l < this.tensors.length; l++) {
      const t = this.tensors[l];
      const scale = Math.sqrt(2 / this.layerSizes[l]);
      const w = p[t.weight];
      for (let e = 0; e < w.length; e++) w[e] = rng.nextNormal() * scale;
      if (t.gain !== null) p[t.gain].fill(1);
    }
  }

  private checkInput(input: Matrix<T>, target?: Matrix<T>): void {
    const name = this.constructor.name;
    if (!(input instanceof Matrix)) throw new TypeError(`${name} needs a Matrix of inputs`);
    if (input.cols !== this.layerSizes[0]) {
      throw new RangeError(`${name} takes ${this.layerSizes[0]} input columns, got ${input.cols}`);
    }
    if (input.dtype !== this.dtype) throw new TypeError(`${name} computes in ${this.dtype}, got ${input.dtype} inputs`);
    if (target === undefined) return;
    if (!(target instanceof Matrix)) throw new TypeError(`${name} needs a Matrix of targets (one-hot rows)`);
    if (target.rows !== input.rows || target.cols !== this.classes) {
      throw new RangeError(
        `${name} needs targets of ${input.rows} × ${this.classes} for ${input.rows} inputs, got ${target.rows} × ${target.cols}`,
      );
    }
  }
}

function buildLayout(sizes: readonly number[], layerNorm: boolean): { layout: ParameterLayout; tensors: LayerTensors[] } {
  const layout: ParameterTensor[] = [];
  const tensors: LayerTensors[] = [];
  const L = sizes.length - 1;
  for (let l = 0; l < L; l++) {
    const t: LayerTensors = { weight: layout.length, bias: layout.length + 1, gain: null, shift: null };
    layout.push({ name: `dense${l}.weight`, size: sizes[l] * sizes[l + 1], kind: 'weight' });
    layout.push({ name: `dense${l}.bias`, size: sizes[l + 1], kind: 'bias' });
    if (layerNorm && l < L - 1) {
      t.gain = layout.length;
      t.shift = layout.length + 1;
      layout.push({ name: `norm${l}.gain`, size: sizes[l + 1], kind: 'norm' });
      layout.push({ name: `norm${l}.shift`, size: sizes[l + 1], kind: 'norm' });
    }
    tensors.push(t);
  }
  return { layout: Object.freeze(layout.map((t) => Object.freeze(t))), tensors };
}

function softmaxInPlace(values: ArrayFor<NumericType>, n: number, c: number): void {
  for (let i = 0; i < n; i++) {
    const r = i * c;
    let max = -Infinity;
    for (let j = 0; j < c; j++) if (values[r + j] > max) max = values[r + j];
    let sum = 0;
    for (let j = 0; j < c; j++) {
      const e = Math.exp(values[r + j] - max);
      values[r + j] = e;
      sum += e;
    }
    for (let j = 0; j < c; j++) values[r + j] /= sum;
  }
}
