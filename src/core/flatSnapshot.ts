import type { ArrayFor, NumericType } from '../numeric/NumericType.js';
import { checkSnapshotFits } from './checkSnapshot.js';
import type { LayerPlan } from './LayerPlan.js';
import type { StateSnapshot } from './StateSnapshot.js';

/**
 * A snapshot of 32-bit momentum kept as one flat array aligned with the
 * parameter vector (layer l at `[start, end)`): a copy of each layer's slice.
 * Host, WebAssembly and GPU states all share it.
 *
 * @category Backends
 */
export function snapshotFlat(plan: LayerPlan, dtype: NumericType, flat: ArrayFor<NumericType>): StateSnapshot {
  return { dtype, layers: plan.segments.map((s) => ({ bits: 32 as const, values: flat.slice(s.start, s.end) })) };
}

/**
 * Writes `snapshot` into a flat array aligned with the parameter vector, after
 * checking that it fits the plan ({@link checkSnapshotFits}): on a mismatch it
 * throws before writing anything.
 *
 * @category Backends
 */
export function restoreFlat(snapshot: StateSnapshot, plan: LayerPlan, dtype: NumericType, flat: ArrayFor<NumericType>): void {
  checkSnapshotFits(snapshot, plan, dtype);
  snapshot.layers.forEach((layer, l) => {
    if (layer.bits === 32) flat.set(layer.values, plan.segments[l].start);
  });
}
