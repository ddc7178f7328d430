import type { NumericType } from '../../numeric/NumericType.js';
import type { FloatArray } from '../denseKernels.js';
import { DenseArena, type StridedMatrix } from './DenseArena.js';

/**
 * The three products of src/models/denseKernels.ts with the same signatures,
 * computed by the WebAssembly SIMD kernels: operands are copied into an
 * arena per call and the result copied out. For tests and one-off products;
 * the perceptron keeps its operands in an arena and copies nothing per product.
 */

const arenas = new Map<NumericType, DenseArena<NumericType> | null>();

function arenaFor(array: FloatArray): DenseArena<NumericType> {
  const dtype: NumericType = array instanceof Float32Array ? 'float32' : 'float64';
  if (!arenas.has(dtype)) arenas.set(dtype, DenseArena.create(dtype));
  const arena = arenas.get(dtype)!;
  if (arena === null) throw new Error('WebAssembly SIMD is not available in this runtime');
  return arena;
}

/** Copies `data` into the arena blocks and runs one product; returns the output view. */
function run(
  a: FloatArray, aShape: { rows: number; cols: number; transposed: boolean },
  b: FloatArray, bShape: { rows: number; cols: number; transposed: boolean },
  bias: FloatArray | null, skipZeros: boolean,
): FloatArray {
  const arena = arenaFor(a);
  arena.reset();
  const aLen = aShape.rows * aShape.cols;
  const bLen = bShape.rows * bShape.cols;
  const m = bShape.cols;
  const aAt = arena.allocateElements(aLen);
  const bAt = arena.allocateElements(bLen);
  const biasAt = bias === null ? 0 : arena.allocateElements(m);
  const outAt = arena.allocateElements(aShape.rows * m);
  const scratch = arena.allocateScratch(aShape.rows, aLen, DenseArena.packedBytes(bShape.rows, m, arena.dtype));
  arena.commit();
  arena.view(aAt, aLen).set(a.subarray(0, aLen));
  arena.view(bAt, bLen).set(b.subarray(0, bLen));
  if (bias !== null) arena.view(biasAt, m).set(bias.subarray(0, m));
  // A transposed operand is stored as cols × rows, row-major.
  const strided = (address: number, s: { rows: number; cols: number; transposed: boolean }): StridedMatrix => ({
    address, rows: s.rows, cols: s.cols, rowStride: s.transposed ? 1 : s.cols, colStride: s.transposed ? s.rows : 1,
  });
  arena.product(outAt, m, strided(aAt, aShape), strided(bAt, bShape), scratch, skipZeros, { bias: biasAt });
  return arena.view(outAt, aShape.rows * m);
}

/**
 * As `matmulBias`: out[n×m] = a[n×k]·b[k×m] + bias. `skipZeros` (default true) leaves zero entries of `a` out.
 *
 * @category Models
 */
export function wasmMatmulBias(out: FloatArray, a: FloatArray, b: FloatArray, bias: FloatArray | null, n: number, k: number, m: number, skipZeros = true): void {
  out.set(run(a, { rows: n, cols: k, transposed: false }, b, { rows: k, cols: m, transposed: false }, bias, skipZeros));
}

/**
 * As `matmulTransposeLeft`: out[k×m] = a[n×k]ᵀ·d[n×m]. `skipZeros` (default true) leaves zero entries of `a` out.
 *
 * @category Models
 */
export function wasmMatmulTransposeLeft(out: FloatArray, a: FloatArray, d: FloatArray, n: number, k: number, m: number, skipZeros = true): void {
  out.set(run(a, { rows: k, cols: n, transposed: true }, d, { rows: n, cols: m, transposed: false }, null, skipZeros));
}

/**
 * As `matmulTransposeRight`: out[n×k] = d[n×m]·b[k×m]ᵀ. `skipZeros` (default true) leaves zero entries of `d` out.
 *
 * @category Models
 */
export function wasmMatmulTransposeRight(out: FloatArray, d: FloatArray, b: FloatArray, n: number, k: number, m: number, skipZeros = true): void {
  out.set(run(d, { rows: n, cols: m, transposed: false }, b, { rows: m, cols: k, transposed: true }, null, skipZeros));
}
