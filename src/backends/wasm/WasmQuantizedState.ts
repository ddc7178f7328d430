import { bytesPerElement, type NumericType } from '../../numeric/NumericType.js';
import type { LayerPlan } from '../../core/LayerPlan.js';
import { SIGNED_CODE_BOOK } from '../../quantization/CodeBook.js';
import { packQuantizedState, restorePacked, snapshotPacked, type PackedArrays, type QuantizedPacking } from '../../core/quantizedPacking.js';
import type { BackendState } from '../../core/OptimizerBackend.js';
import type { StateSnapshot } from '../../core/StateSnapshot.js';
import type { WasmHeap } from './WasmHeap.js';

/**
 * Momentum state in WebAssembly memory for a plan with 8-bit layers, laid out
 * like the JS loops' quantized state: the full-precision values of the 32-bit
 * layers packed in plan order, the codes of the 8-bit layers (one byte per
 * element) packed in plan order, and one float32 absmax per 256-element block
 * counted from each 8-bit layer's start. {@link bytes} is the real footprint.
 *
 * Views of the heap's memory are made just in time and never kept, so the
 * state survives the memory growing even when it is not shared.
 *
 * @category Backends
 */
export class WasmQuantizedState implements BackendState {
  /** Byte address of the packed full-precision values (32-bit layers). */
  readonly valuesAddress: number;
  /** Byte address of the packed codes (8-bit layers). */
  readonly codesAddress: number;
  /** Byte address of the packed float32 absmax values (8-bit layers). */
  readonly absmaxAddress: number;
  /** Per layer: its first element in the values (32-bit layers) or its first code (8-bit layers). */
  readonly offset: Int32Array;
  /** Per layer: its first block in the absmax values (8-bit layers; -1 otherwise). */
  readonly blockOffset: Int32Array;
  /** The numeric type of the full-precision values. */
  readonly dtype: NumericType;
  /** The heap the state lives in. */
  readonly heap: WasmHeap;
  private readonly plan: LayerPlan;
  private readonly packing: QuantizedPacking;
  private readonly floats: number;
  private readonly codeCount: number;
  private readonly blocks: number;
  private disposed = false;

  /** A zero state for `plan` in `heap`: values 0, every code the zero code, every absmax 0. */
  constructor(heap: WasmHeap, plan: LayerPlan, dtype: NumericType) {
    this.heap = heap;
    this.plan = plan;
    this.dtype = dtype;
    const packing = packQuantizedState(plan);
    this.packing = packing;
    this.offset = packing.offset;
    this.blockOffset = packing.blockOffset;
    const { floats, codes, blocks } = packing;
    this.floats = floats;
    this.codeCount = codes;
    this.blocks = blocks;
    this.valuesAddress = heap.allocate(floats * bytesPerElement(dtype));
    this.codesAddress = heap.allocate(codes);
    this.absmaxAddress = heap.allocate(4 * blocks);
    this.codeView().fill(SIGNED_CODE_BOOK.zeroCode);
  }

  /** The packed footprint: 4 or 8 bytes per 32-bit-layer element, 1 per 8-bit-layer element, 4 per absmax block. */
  get bytes(): number {
    return this.floats * bytesPerElement(this.dtype) + this.codeCount + 4 * this.blocks;
  }

  /** An exact host copy, layer by layer (copies, not views of the memory). */
  snapshot(): StateSnapshot {
    return snapshotPacked(this.plan, this.dtype, this.packing, this.arrays());
  }

  /** Overwrites the state with `snapshot`, exactly; checks every layer before writing any. */
  restore(snapshot: StateSnapshot): void {
    restorePacked(snapshot, this.plan, this.dtype, this.packing, this.arrays());
  }

  /** Gives the three blocks back to the heap (once). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.heap.release(this.valuesAddress, this.floats * bytesPerElement(this.dtype));
    this.heap.release(this.codesAddress, this.codeCount);
    this.heap.release(this.absmaxAddress, 4 * this.blocks);
  }

  /** Views of the three packed arrays in the heap's memory as it is now. */
  private arrays(): PackedArrays {
    return {
      values: this.heap.view(this.dtype, this.valuesAddress, this.floats),
      codes: this.codeView(),
      absmax: new Float32Array(this.heap.memory.buffer, this.absmaxAddress, this.blocks),
    };
  }

  private codeView(): Uint8Array {
    return new Uint8Array(this.heap.memory.buffer, this.codesAddress, this.codeCount);
  }

}
