import type { LayerPlan } from '../../core/LayerPlan.js';
import { Q8_BLOCK } from './threadProtocol.js';

/**
 * A plan cut into chunks (the unit of work a thread claims), each a run of
 * pieces: the intersections of the chunk with the layers, in plan order.
 *
 * @category Backends
 */
export interface ChunkPieces {
  /** (layer index, first element, one past the last) of each piece, chunk after chunk. */
  readonly pieces: number[];
  /** The first piece of each chunk, then the number of pieces (chunks + 1 entries). */
  readonly firstPiece: number[];
}

/**
 * Cuts `plan` into chunks of `chunkElements` elements, except that a chunk
 * whose end falls inside a layer with 8-bit momentum ends on a boundary of
 * that layer's 256-element absmax blocks (counted from the layer's start):
 * the last one inside the chunk, or, for a chunk that starts inside that
 * same block, the block's end. So every block is updated whole by one kernel
 * call, and no chunk is longer than max(chunkElements, 256). A plan without
 * 8-bit layers is cut at the multiples of `chunkElements`.
 *
 * @category Backends
 */
export function cutIntoChunks(plan: LayerPlan, chunkElements: number): ChunkPieces {
  const pieces: number[] = [];
  const firstPiece: number[] = [];
  const segs = plan.segments;
  let l = 0;
  for (let lo = 0; lo < plan.length; ) {
    firstPiece.push(pieces.length / 3);
    let hi = Math.min(plan.length, lo + chunkElements);
    while (l < segs.length && segs[l].end <= lo) l++;
    // The layer the chunk's end falls inside, if any.
    let cut = l;
    while (cut < segs.length && segs[cut].end <= hi) cut++;
    if (cut < segs.length && segs[cut].start < hi && segs[cut].stateBits === 8) {
      const s = segs[cut];
      const down = s.start + Math.floor((hi - s.start) / Q8_BLOCK) * Q8_BLOCK;
      hi = down > lo ? down : Math.min(s.end, down + Q8_BLOCK);
    }
    for (let j = l; j < segs.length && segs[j].start < hi; j++) {
      const start = Math.max(lo, segs[j].start);
      const end = Math.min(hi, segs[j].end);
      if (end > start) pieces.push(segs[j].index, start, end);
    }
    lo = hi;
  }
  firstPiece.push(pieces.length / 3);
  return { pieces, firstPiece };
}
