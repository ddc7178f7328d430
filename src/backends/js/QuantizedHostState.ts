import { allocateArray, bytesPerElement, type ArrayFor, type NumericType } from '../../numeric/NumericType.js';
import type { LayerPlan } from '../../core/LayerPlan.js';
import { SIGNED_CODE_BOOK } from '../../quantization/CodeBook.js';
import { packQuantizedState, restorePacked, snapshotPacked, type QuantizedPacking } from '../../core/quantizedPacking.js';
import type { BackendState } from '../../core/OptimizerBackend.js';
import type { StateSnapshot } from '../../core/StateSnapshot.js';

/**
 * Momentum state in host memory for a plan with 8-bit layers (`optimBits: 8`).
 * Each layer with `stateBits` 8 keeps one code per element (an index into the
 * signed dynamic map) and one float32 absmax per 256-element block, counted
 * from the layer's start; the other layers keep full-precision values in the
 * optimizer's numeric type. Everything is packed, so {@link bytes} is the real
 * footprint: about 1 byte per element (+4 per 256) for 8-bit layers, 4 or 8
 * otherwise. Kernels dequantize and requantize one block at a time.
 *
 * @category Backends
 */
export class QuantizedHostState implements BackendState {
  /** Full-precision values of the 32-bit layers, packed in plan order. */
  readonly values: ArrayFor<NumericType>;
  /** Codes of the 8-bit layers, packed in plan order. */
  readonly codes: Uint8Array;
  /** absmax of every block of the 8-bit layers, packed in plan order. */
  readonly absmax: Float32Array;
  /** Per layer: where its data starts in {@link values} (32-bit layers) or {@link codes} (8-bit layers). */
  readonly offset: Int32Array;
  /** Per layer: where its blocks start in {@link absmax} (8-bit layers; -1 otherwise). */
  readonly blockOffset: Int32Array;
  /** The numeric type of {@link values}. */
  readonly dtype: NumericType;
  private readonly plan: LayerPlan;
  private readonly packing: QuantizedPacking;

  constructor(plan: LayerPlan, dtype: NumericType) {
    this.plan = plan;
    this.dtype = dtype;
    const packing = packQuantizedState(plan);
    this.packing = packing;
    this.offset = packing.offset;
    this.blockOffset = packing.blockOffset;
    const { floats, codes: bytes, blocks } = packing;
    this.values = allocateArray(dtype, floats);
    this.codes = new Uint8Array(bytes).fill(SIGNED_CODE_BOOK.zeroCode);
    this.absmax = new Float32Array(blocks);
  }

  get bytes(): number {
    return this.values.length * bytesPerElement(this.dtype) + this.codes.byteLength + this.absmax.byteLength;
  }

  snapshot(): StateSnapshot {
    return snapshotPacked(this.plan, this.dtype, this.packing, this);
  }

  /** Overwrites the state with `snapshot`, exactly; checks every layer before writing any. */
  restore(snapshot: StateSnapshot): void {
    restorePacked(snapshot, this.plan, this.dtype, this.packing, this);
  }

  dispose(): void {}
}
