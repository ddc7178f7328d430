import { bytesPerElement, type NumericType } from '../numeric/NumericType.js';
import type { LayerPlan } from '../optimizers/LayerPlan.js';
import { checkSnapshotFits } from '../gpu/HostState.js';
import type { BackendState } from '../gpu/OptimizerBackend.js';
import type { LayerState, StateSnapshot } from '../gpu/StateSnapshot.js';
import type { WasmHeap } from './WasmHeap.js';

/**
 * Momentum state in WebAssembly memory: one block aligned with the parameter
 * vector, so layer l's buffer starts at `address + start·bytes`.
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
    const all = this.heap.view(this.dtype, this.address, this.plan.length);
    const layers: LayerState[] = this.plan.segments.map((s) => ({ bits: 32, values: all.slice(s.start, s.end) }));
    return { dtype: this.dtype, layers };
  }

  restore(snapshot: StateSnapshot): void {
    checkSnapshotFits(snapshot, this.plan, this.dtype);
    const all = this.heap.view(this.dtype, this.address, this.plan.length);
    snapshot.layers.forEach((layer, l) => {
      if (layer.bits !== 32) throw new Error(`layer ${l}: WebAssembly state holds 32-bit layers only, got ${layer.bits}-bit`);
      all.set(layer.values, this.plan.segments[l].start);
    });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.heap.release(this.address, this.bytes);
  }
}
