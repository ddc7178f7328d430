import type { GPU } from 'gpu.js';
import { SIGNED_CODE_BOOK } from '../../quantization/CodeBook.js';
import type { CompiledKernel } from './GpuKernelSet.js';
import { copyKernel } from './kernelSources.js';
import {
  blockAbsmaxKernel,
  floatBufferKernel,
  quantizedParamsKernel,
  quantizedUpdateSquaresKernel,
  requantizeKernel,
  unpackCode,
} from './quantizedKernelSources.js';
import { WORDS_PER_BLOCK, type QuantizedStateLayout } from './QuantizedStateLayout.js';

/**
 * The kernels of 8-bit momentum state for one {@link QuantizedStateLayout}.
 *
 * @category Backends
 */
export interface QuantizedKernelSet {
  /** Host code words to the code matrix. */
  readonly uploadCodes: CompiledKernel;
  /** Host absmax values to the absmax matrix. */
  readonly uploadAbsmax: CompiledKernel;
  /** Host values of the 32-bit layers to the float matrix. */
  readonly uploadFloats: CompiledKernel;
  /** The new absmax of every block (device texture). */
  readonly blockAbsmax: CompiledKernel;
  /** The new code words (device texture). */
  readonly requantize: CompiledKernel;
  /** The new float momentum of the 32-bit rows (device texture). */
  readonly floatBuffer: CompiledKernel;
  /** The new parameters (device texture, read back by the backend). */
  readonly params: CompiledKernel;
  /** Per-chunk sums of squared updates (device texture). */
  readonly updateSquares: CompiledKernel;
}

/**
 * Compiles the 8-bit kernels for `layout` on `gpu`, with the settings of
 * {@link compileKernelSet}: float32, four values per texel.
 *
 * @category Backends
 */
export function compileQuantizedKernelSet(gpu: GPU, layout: QuantizedStateLayout): QuantizedKernelSet {
  const chunkSize = layout.chunks.chunkSize;
  const codes = [layout.wordsPerRow, layout.rows8];
  const absmax = [layout.blocksPerRow, layout.rows8];
  const floats = [chunkSize, Math.max(1, layout.rows32)];
  const common = {
    precision: 'single',
    optimizeFloatMemory: true,
    tactic: 'precision',
    constants: { chunkSize, wordsPerBlock: WORDS_PER_BLOCK, zeroCode: SIGNED_CODE_BOOK.zeroCode },
    loopMaxIterations: Math.max(chunkSize, 256),
    pipeline: true,
    immutable: true,
    functions: [unpackCode],
  };
  const make = (fn: unknown, output: number[]): CompiledKernel =>
    (gpu.createKernel as (f: unknown, s: object) => unknown)(fn, { ...common, output }) as CompiledKernel;
  return {
    uploadCodes: make(copyKernel, codes),
    uploadAbsmax: make(copyKernel, absmax),
    uploadFloats: make(copyKernel, floats),
    blockAbsmax: make(blockAbsmaxKernel, absmax),
    requantize: make(requantizeKernel, codes),
    floatBuffer: make(floatBufferKernel, floats),
    params: make(quantizedParamsKernel, [chunkSize, layout.chunks.chunks]),
    updateSquares: make(quantizedUpdateSquaresKernel, [layout.chunks.chunks]),
  };
}

/**
 * The code book's tables as the kernels read them: the 256 float32 codes, and
 * the midpoints rounded toward −∞ to float32. For a float32 quotient q and a
 * midpoint t, `q > t` equals `q > t↓` exactly (no float32 lies in (t↓, t]),
 * so the GPU's comparisons decide as the CPU's float64 ones would for the same q.
 *
 * @category Backends
 */
export function codeTables(): { values: Float32Array; thresholds: Float32Array } {
  const t = SIGNED_CODE_BOOK.thresholds;
  const thresholds = new Float32Array(t.length);
  thresholds[0] = -3.4e38; // never read: the search reads thresholds[1..255]
  for (let k = 1; k < t.length; k++) {
    let down = Math.fround(t[k]);
    if (down > t[k]) down = nextDown(down);
    thresholds[k] = down;
  }
  return { values: SIGNED_CODE_BOOK.values, thresholds };
}

/** The largest float32 below the (finite, nonzero) float32 `x`. */
function nextDown(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer);
  u[0] += x > 0 ? -1 : 1;
  return f[0];
}
