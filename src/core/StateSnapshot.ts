import type { ArrayFor, NumericType } from '../numeric/NumericType.js';

/**
 * The momentum buffer of one layer with 32-bit (or 64-bit) elements, in the state's numeric type.
 *
 * @category Backends
 */
export interface FloatLayerState {
  /** Always 32 for full-precision state (the element width is the dtype's). */
  readonly bits: 32;
  /** One value per element of the layer. */
  readonly values: ArrayFor<NumericType>;
}

/**
 * The momentum buffer of one layer stored as 8-bit codes with one absmax per block.
 *
 * @category Backends
 */
export interface QuantizedLayerState {
  /** Always 8. */
  readonly bits: 8;
  /** One code (index into the dynamic map) per element. */
  readonly codes: Uint8Array;
  /** One scale per block of elements. */
  readonly absmax: Float32Array;
}

/**
 * The state of one layer.
 *
 * @category Backends
 */
export type LayerState = FloatLayerState | QuantizedLayerState;

/**
 * An exact host copy of an optimizer's momentum state, layer by layer. It is
 * the common currency between backends (a GPU failing mid-run hands its
 * snapshot to the CPU) and the input of `saveState()`.
 *
 * @category Backends
 */
export interface StateSnapshot {
  /** The numeric type of full-precision layers. */
  readonly dtype: NumericType;
  /** One entry per layer of the plan, in order. */
  readonly layers: readonly LayerState[];
}
