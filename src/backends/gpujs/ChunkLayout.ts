import type { LayerPlan } from '../../core/LayerPlan.js';

/**
 * How the GPU backend lays a flat parameter vector out on the device: every
 * layer is cut into chunks of `chunkSize` elements, the last chunk of a layer
 * padded with zeros, and the chunks are stacked as the rows of a
 * `[chunkSize, chunks]` matrix. A row therefore belongs to exactly one layer,
 * so the per-element kernels look the layer up once per row, and the
 * reduction's first level sums one row per GPU thread.
 *
 * All positions the kernels compute stay far below 2²⁴, so they are exact in
 * float32 even for vectors larger than 16M elements.
 *
 * @category Backends
 */
export class ChunkLayout {
  /** Elements per chunk (a power of two, at least {@link ChunkLayout.MIN_CHUNK}). */
  readonly chunkSize: number;
  /** Number of chunks (rows) over all layers. */
  readonly chunks: number;
  /** Layer index of every chunk, as float32 for upload. */
  readonly chunkLayer: Float32Array;
  /** First chunk of every layer. */
  readonly firstChunk: Float32Array;
  /** Number of chunks of every layer (0 for an empty layer). */
  readonly chunkCount: Float32Array;
  /** The largest {@link ChunkLayout.chunkCount}: the loop bound of the reduction's second level. */
  readonly maxChunksPerLayer: number;
  /** The plan this layout was made for. */
  readonly plan: LayerPlan;

  /** The smallest chunk size used: 256 elements. */
  static readonly MIN_CHUNK = 256;

  /**
   * Chooses the chunk size as the power of two at or above √(largest layer)
   * (at least 256), so neither level of the reduction loops more than about
   * √n times: 2048 for ResNet-50's 2.4M-element layers, 4096 for a 16M layer.
   */
  constructor(plan: LayerPlan) {
    this.plan = plan;
    let largest = 1;
    for (const s of plan.segments) largest = Math.max(largest, s.end - s.start);
    let size = ChunkLayout.MIN_CHUNK;
    while (size * size < largest) size *= 2;
    this.chunkSize = size;
    const layers = plan.segments.length;
    this.firstChunk = new Float32Array(layers);
    this.chunkCount = new Float32Array(layers);
    let chunks = 0;
    let most = 1;
    for (const s of plan.segments) {
      const count = Math.ceil((s.end - s.start) / size);
      this.firstChunk[s.index] = chunks;
      this.chunkCount[s.index] = count;
      chunks += count;
      most = Math.max(most, count);
    }
    this.maxChunksPerLayer = most;
    // At least one row, so a plan made only of empty layers still has a valid texture.
    this.chunks = Math.max(1, chunks);
    this.chunkLayer = new Float32Array(this.chunks);
    for (const s of plan.segments) {
      this.chunkLayer.fill(s.index, this.firstChunk[s.index], this.firstChunk[s.index] + this.chunkCount[s.index]);
    }
  }

  /** Elements in the padded device matrix (`chunkSize · chunks`). */
  get paddedLength(): number {
    return this.chunkSize * this.chunks;
  }

  /** Copies the flat vector `from` into the padded layout `to` (padding stays as it is, zero). */
  pack(from: ArrayLike<number> & { subarray(start: number, end: number): ArrayLike<number> }, to: Float32Array): void {
    for (const s of this.plan.segments) {
      to.set(from.subarray(s.start, s.end), this.firstChunk[s.index] * this.chunkSize);
    }
  }

  /** Copies the padded layout `from` back into the flat vector `to`. */
  unpack(from: Float32Array, to: Float32Array): void {
    for (const s of this.plan.segments) {
      const at = this.firstChunk[s.index] * this.chunkSize;
      to.set(from.subarray(at, at + (s.end - s.start)), s.start);
    }
  }
}
