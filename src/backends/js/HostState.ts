import { allocateArray, bytesPerElement, type ArrayFor, type NumericType } from '../../numeric/NumericType.js';
import { restoreFlat, snapshotFlat } from '../../core/flatSnapshot.js';
import type { LayerPlan } from '../../core/LayerPlan.js';
import type { BackendState } from '../../core/OptimizerBackend.js';
import type { StateSnapshot } from '../../core/StateSnapshot.js';

/**
 * Momentum state in host memory: one typed array over the whole vector, so
 * layer l's buffer is `values[start, end)` and kernels index it like the
 * parameters. Plans with 8-bit layers use `QuantizedHostState` instead.
 *
 * @category Backends
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
    return snapshotFlat(this.plan, this.dtype, this.values);
  }

  restore(snapshot: StateSnapshot): void {
    restoreFlat(snapshot, this.plan, this.dtype, this.values);
  }

  dispose(): void {}
}
