import type { NumericType } from '../numeric/NumericType.js';
import type { LayerPlan } from './LayerPlan.js';
import { blockCount } from '../quantization/blockwise.js';
import type { StateSnapshot } from './StateSnapshot.js';

/**
 * Throws a clear error unless `snapshot` has the plan's layers, sizes and
 * numeric type, and holds only 32-bit layers. States without 8-bit layers
 * call it before writing anything.
 *
 * @category Backends
 */
export function checkSnapshotFits(snapshot: StateSnapshot, plan: LayerPlan, dtype: NumericType): void {
  checkLayersFit(snapshot, plan, dtype);
  snapshot.layers.forEach((layer, l) => {
    if (layer.bits !== 32) throw new Error(`state layer ${l} is ${layer.bits}-bit, but this state holds 32-bit layers only`);
  });
}

/**
 * Throws a clear error unless `snapshot` fits a plan with 8-bit layers: the
 * plan's layers, sizes and numeric type, every layer's width matching its
 * `stateBits`, one absmax per 256-element block, and every absmax finite and
 * ≥ 0. Quantized states call it before writing anything.
 *
 * @category Backends
 */
export function checkQuantizedSnapshotFits(snapshot: StateSnapshot, plan: LayerPlan, dtype: NumericType): void {
  checkLayersFit(snapshot, plan, dtype);
  snapshot.layers.forEach((layer, l) => {
    const s = plan.segments[l];
    if (layer.bits !== s.stateBits) {
      throw new Error(`state layer ${l} is ${layer.bits}-bit, but this optimizer keeps it ${s.stateBits}-bit (optimBits/min8bitSize differ)`);
    }
    if (layer.bits === 8) {
      const blocks = blockCount(s.end - s.start);
      if (layer.absmax.length !== blocks) {
        throw new Error(`state layer ${l} has ${layer.absmax.length} absmax value(s), expected ${blocks}`);
      }
      for (const a of layer.absmax) {
        if (!(a >= 0 && a < Infinity)) throw new Error(`state layer ${l} has absmax ${a}; absmax must be finite and >= 0`);
      }
    }
  });
}

/** The checks every state shares: numeric type, layer count, and each layer's element count. */
function checkLayersFit(snapshot: StateSnapshot, plan: LayerPlan, dtype: NumericType): void {
  if (snapshot.dtype !== dtype) throw new Error(`state is ${snapshot.dtype}, but this optimizer computes in ${dtype}`);
  if (snapshot.layers.length !== plan.segments.length) {
    throw new Error(`state has ${snapshot.layers.length} layer(s), but the plan has ${plan.segments.length}`);
  }
  snapshot.layers.forEach((layer, l) => {
    const size = plan.segments[l].end - plan.segments[l].start;
    const got = layer.bits === 32 ? layer.values.length : layer.codes.length;
    if (got !== size) throw new Error(`state layer ${l} has ${got} element(s), but the plan's layer has ${size}`);
  });
}
