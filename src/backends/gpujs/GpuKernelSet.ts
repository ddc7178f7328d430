import type { GPU } from 'gpu.js';
import type { ChunkLayout } from './ChunkLayout.js';
import {
  chunkSquaresKernel,
  chunkUpdateSquaresKernel,
  copyKernel,
  layerPairSumsKernel,
  updateBufferKernel,
  updateParamsKernel,
  zeroKernel,
} from './kernelSources.js';

/**
 * A compiled gpu.js kernel as this backend uses it: call it, read its WebGL context, destroy it.
 *
 * @category Backends
 */
export interface CompiledKernel {
  (...args: unknown[]): unknown;
  /** The WebGL context the kernel renders with. */
  readonly context: WebGLRenderingContext;
  /** Frees the kernel's program and textures. */
  destroy(removeCanvasReferences?: boolean): void;
}

/**
 * A texture a pipeline kernel returned: stays on the device until deleted.
 *
 * @category Backends
 */
export interface DeviceTexture {
  /** Reads the texture back (rows of a 2-D output, or one array for 1-D). */
  toArray(): unknown;
  /** Frees the device memory. */
  delete(): void;
}

/**
 * Device bytes of a gpu.js float texture as allocated: four float32 values per
 * RGBA texel (16 bytes) over its near-square `width × height` size, padding included.
 *
 * @category Backends
 */
export function deviceTextureBytes(texture: DeviceTexture): number {
  const size = (texture as unknown as { size: ArrayLike<number> }).size;
  return size[0] * size[1] * 16;
}

/**
 * Every kernel of one layer plan, compiled for its {@link ChunkLayout}'s sizes.
 *
 * @category Backends
 */
export interface GpuKernelSet {
  /** Host array (as a gpu.js `input`) to device texture. */
  readonly upload: CompiledKernel;
  /** A zero device texture. */
  readonly zeros: CompiledKernel;
  /** Per-chunk sums of squares (device texture). */
  readonly chunkSquares: CompiledKernel;
  /** Per-chunk sums of squared updates (device texture). */
  readonly chunkUpdateSquares: CompiledKernel;
  /** Per-layer sums of two partial textures, interleaved; read back. */
  readonly layerPairSums: CompiledKernel;
  /** The new momentum buffer (device texture). */
  readonly updateBuffer: CompiledKernel;
  /** The new parameters (device texture, read back by the backend). */
  readonly updateParams: CompiledKernel;
}

/**
 * Compiles the kernel set for `layout` on `gpu`. Every kernel computes in
 * float32 (`precision: 'single'`) with four values per texel
 * (`optimizeFloatMemory`), which quarters the texture memory and the
 * readback size.
 *
 * @category Backends
 */
export function compileKernelSet(gpu: GPU, layout: ChunkLayout): GpuKernelSet {
  const matrix = [layout.chunkSize, layout.chunks];
  const perChunk = [layout.chunks];
  const constants = { chunkSize: layout.chunkSize, maxChunks: layout.maxChunksPerLayer };
  const common = {
    precision: 'single',
    optimizeFloatMemory: true,
    tactic: 'precision',
    constants,
    loopMaxIterations: Math.max(layout.chunkSize, layout.maxChunksPerLayer),
  };
  const make = (fn: unknown, output: number[], pipeline: boolean): CompiledKernel =>
    (gpu.createKernel as (f: unknown, s: object) => unknown)(fn, {
      ...common,
      output,
      pipeline,
      immutable: pipeline,
    }) as CompiledKernel;
  return {
    upload: make(copyKernel, matrix, true),
    zeros: make(zeroKernel, matrix, true),
    chunkSquares: make(chunkSquaresKernel, perChunk, true),
    chunkUpdateSquares: make(chunkUpdateSquaresKernel, perChunk, true),
    layerPairSums: make(layerPairSumsKernel, [Math.max(2, 2 * layout.plan.segments.length)], false),
    updateBuffer: make(updateBufferKernel, matrix, true),
    updateParams: make(updateParamsKernel, matrix, true),
  };
}

/**
 * Destroys every kernel of a set (a {@link GpuKernelSet} or another record of kernels), ignoring kernels that fail to clean up (a lost context).
 *
 * @category Backends
 */
export function destroyKernelSet(set: object): void {
  for (const kernel of Object.values(set) as CompiledKernel[]) {
    try {
      kernel.destroy();
    } catch {
      // nothing more can be freed from a broken context
    }
  }
}
