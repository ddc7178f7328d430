import type { LayerPlan } from '../optimizers/LayerPlan.js';
import { blockCount } from '../quantization/blockwise.js';

/**
 * Where each layer of a plan with 8-bit layers keeps its momentum when the
 * state is packed into three arrays: the full-precision values of the 32-bit
 * layers, the codes of the 8-bit layers, and one absmax per 256-element block
 * of the 8-bit layers, each in plan order.
 */
export interface QuantizedPacking {
  /** Per layer: its first element in the values (32-bit layers) or its first code (8-bit layers). */
  readonly offset: Int32Array;
  /** Per layer: its first block in the absmax values (8-bit layers; -1 otherwise). */
  readonly blockOffset: Int32Array;
  /** Full-precision values in all (elements of 32-bit layers). */
  readonly floats: number;
  /** Codes in all (elements of 8-bit layers). */
  readonly codes: number;
  /** absmax blocks in all. */
  readonly blocks: number;
}

/** The packing of `plan`'s momentum: 8-bit layers (`stateBits` 8) as codes and blocks, the others as values. */
export function packQuantizedState(plan: LayerPlan): QuantizedPacking {
  const layers = plan.segments.length;
  const offset = new Int32Array(layers);
  const blockOffset = new Int32Array(layers).fill(-1);
  let floats = 0;
  let codes = 0;
  let blocks = 0;
  for (const s of plan.segments) {
    const size = s.end - s.start;
    if (s.stateBits === 8) {
      offset[s.index] = codes;
      blockOffset[s.index] = blocks;
      codes += size;
      blocks += blockCount(size);
    } else {
      offset[s.index] = floats;
      floats += size;
    }
  }
  return { offset, blockOffset, floats, codes, blocks };
}
