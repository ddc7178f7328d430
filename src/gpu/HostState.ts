import type { QuantizedHostState } from './QuantizedHostState.js';
import { allocateArray, bytesPerElement, type ArrayFor, type NumericType } from '../numeric/NumericType.js';
import type { LayerPlan } from '../optimizers/LayerPlan.js';
import type { BackendState } from './OptimizerBackend.js';
import type { LayerState, StateSnapshot } from './StateSnapshot.js';

/**
 * Momentum state in host memory: one typed array over the whole vector, so
 * layer l's buffer is `values[start, end)` and kernels index it like the
 * parameters. Plans with 8-bit layers use {@link QuantizedHostState} instead.
 */
export class HostState implements BackendState {
  /** The momentum buffer, aligned with the parameter vector. */
  readonly values: ArrayFor<NumericType>;
  /** The numeric type of {@link HostState.values}. */
  readonly dtype: NumericType;
  private readonly plan: LayerPlan;

  constructor(plan: LayerPlan, dtype: NumericType) {
    this.plan = plan;
    this.dtype = dtype;
    this.values = allocateArray(dtype, plan.length);
  }

  get bytes(): number {
    return this.values.length * bytesPerElement(this.dtype);
  }

  snapshot(): StateSnapshot {
    const layers: LayerState[] = this.plan.segments.map((s) => ({
      bits: 32,
      values: this.values.slice(s.start, s.end),
    }));
    return { dtype: this.dtype, layers };
  }

  restore(snapshot: StateSnapshot): void {
    checkSnapshotFits(snapshot, this.plan, this.dtype);
    snapshot.layers.forEach((layer, l) => {
      if (layer.bits !== 32) throw new Error(`layer ${l}: host state holds 32-bit layers only, got ${layer.bits}-bit`);
      this.values.set(layer.values, this.plan.segments[l].start);
    });
  }

  dispose(): void {}
}

/** Throws a clear error unless `snapshot` has the plan's layers, sizes and numeric type. */
export function checkSnapshotFits(snapshot: StateSnapshot, plan: LayerPlan, dtype: NumericType): void {
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
