import type { ArrayFor, NumericType } from '../numeric/NumericType.js';
import { blockCount } from '../quantization/blockwise.js';
import { checkQuantizedSnapshotFits } from './checkSnapshot.js';
import type { LayerPlan } from './LayerPlan.js';
import type { LayerState, StateSnapshot } from './StateSnapshot.js';

/**
 * Where each layer of a plan with 8-bit layers keeps its momentum when the
 * state is packed into three arrays: the full-precision values of the 32-bit
 * layers, the codes of the 8-bit layers, and one absmax per 256-element block
 * of the 8-bit layers, each in plan order.
 *
 * @category Backends
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

/**
 * The packing of `plan`'s momentum: 8-bit layers (`stateBits` 8) as codes and blocks, the others as values.
 *
 * @category Backends
 */
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

/**
 * The three packed arrays of a state with 8-bit layers, laid out by a {@link QuantizedPacking}.
 *
 * @category Backends
 */
export interface PackedArrays {
  /** Full-precision values of the 32-bit layers. */
  readonly values: ArrayFor<NumericType>;
  /** One code per element of the 8-bit layers. */
  readonly codes: Uint8Array;
  /** One absmax per 256-element block of the 8-bit layers. */
  readonly absmax: Float32Array;
}

/**
 * An exact snapshot (copies) of packed state, layer by layer. Host and WebAssembly states share it.
 *
 * @category Backends
 */
export function snapshotPacked(plan: LayerPlan, dtype: NumericType, packing: QuantizedPacking, arrays: PackedArrays): StateSnapshot {
  const layers: LayerState[] = plan.segments.map((s) => {
    const size = s.end - s.start;
    const at = packing.offset[s.index];
    if (s.stateBits === 32) return { bits: 32, values: arrays.values.slice(at, at + size) };
    const first = packing.blockOffset[s.index];
    return { bits: 8, codes: arrays.codes.slice(at, at + size), absmax: arrays.absmax.slice(first, first + blockCount(size)) };
  });
  return { dtype, layers };
}

/**
 * Writes `snapshot` into packed arrays after checking every layer ({@link checkQuantizedSnapshotFits}); a mismatch throws before any write.
 *
 * @category Backends
 */
export function restorePacked(
  snapshot: StateSnapshot,
  plan: LayerPlan,
  dtype: NumericType,
  packing: QuantizedPacking,
  arrays: PackedArrays,
): void {
  checkQuantizedSnapshotFits(snapshot, plan, dtype);
  snapshot.layers.forEach((layer, l) => {
    const at = packing.offset[l];
    if (layer.bits === 32) arrays.values.set(layer.values, at);
    else {
      arrays.codes.set(layer.codes, at);
      arrays.absmax.set(layer.absmax, packing.blockOffset[l]);
    }
  });
}
