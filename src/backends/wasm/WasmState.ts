import { bytesPerElement, type NumericType } from '../../numeric/NumericType.js';
import type { LayerPlan } from '../../core/LayerPlan.js';
import { restoreFlat, snapshotFlat } from '../../core/flatSnapshot.js';
import type { BackendState } from '../../core/OptimizerBackend.js';
import type { StateSnapshot } from '../../core/StateSnapshot.js';
import type { WasmHeap } from './WasmHeap.js';

/**
 * Momentum state in WebAssembly memory: one block aligned with the parameter
 * vector, so layer l's buffer starts at `address + start·bytes`.
 *
 * @category Backends
 */
export class WasmState implements BackendState {
  /** Byte address of the buffer in the heap's memory. */
  readonly address: number;
  /** The numeric type of the buffer. */
  readonly dtype: NumericType;
  /** The heap the buffer lives in. */
  readonly heap: WasmHeap;
  private readonly plan: LayerPlan;
  private disposed = false;

  constructor(heap: WasmHeap, plan: LayerPlan, dtype: NumericType) {
    this.heap = heap;
    this.plan = plan;
    this.dtype = dtype;
    this.address = heap.allocate(this.bytes);
  }

  get bytes(): number {
    return this.plan.length * bytesPerElement(this.dtype);
  }

  snapshot(): StateSnapshot {
    return snapshotFlat(this.plan, this.dtype, this.heap.view(this.dtype, this.address, this.plan.length));
  }

  restore(snapshot: StateSnapshot): void {
    restoreFlat(snapshot, this.plan, this.dtype, this.heap.view(this.dtype, this.address, this.plan.length));
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.heap.release(this.address, this.bytes);
  }
}
