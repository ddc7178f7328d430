import type { NumericType } from '../numeric/NumericType.js';
import type { LayerPlan } from '../optimizers/LayerPlan.js';
import { blockCount } from '../quantization/blockwise.js';
import { checkSnapshotFits } from './HostState.js';
import type { StateSnapshot } from './StateSnapshot.js';

/**
 * Throws a clear error unless `snapshot` fits a plan with 8-bit layers: the
 * checks of {@link checkSnapshotFits}, plus every layer's width matching its
 * `stateBits`, one absmax per 256-element block, and every absmax finite and
 * ≥ 0. Quantized states call it before writing anything.
 */
export function checkQuantizedSnapshotFits(snapshot: StateSnapshot, plan: LayerPlan, dtype: NumericType): void {
  checkSnapshotFits(snapshot, plan, dtype);
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
