import type { NumericType } from '../numeric/NumericType.js';

/**
 * A saved full-precision layer: its momentum values as base64 of their raw bytes.
 *
 * @category Optimizers
 */
export interface SavedFloatLayer {
  /** Always 32 (the element width is the state's dtype). */
  readonly bits: 32;
  /** base64 of the Float32Array or Float64Array bytes. */
  readonly values: string;
}

/**
 * A saved 8-bit layer: codes and per-block absmax as base64 of their raw bytes.
 *
 * @category Optimizers
 */
export interface SavedQuantizedLayer {
  /** Always 8. */
  readonly bits: 8;
  /** base64 of the Uint8Array of codes. */
  readonly codes: string;
  /** base64 of the Float32Array of block scales. */
  readonly absmax: string;
}

/**
 * One layer of saved momentum state.
 *
 * @category Optimizers
 */
export type SavedLayerState = SavedFloatLayer | SavedQuantizedLayer;

/**
 * An optimizer's state as plain JSON: everything needed to continue a run
 * bit for bit in a fresh optimizer built with the same options.
 *
 * @category Optimizers
 */
export interface SavedOptimizerState {
  /** Always `'lars-ts.optimizer-state'`. */
  readonly format: 'lars-ts.optimizer-state';
  /** Format version, 1. */
  readonly version: 1;
  /** The class that saved it, e.g. `LARSOptimizer`. */
  readonly optimizer: string;
  /** Steps taken so far. */
  readonly stepCount: number;
  /** Steps per epoch the schedule used, or null. */
  readonly stepsPerEpoch: number | null;
  /** Numeric type of the parameters, or null before the first step. */
  readonly dtype: NumericType | null;
  /** Length of the parameter vector, or null before the first step. */
  readonly length: number | null;
  /** Momentum state per layer, or null when there is none (momentum 0, or no step yet). */
  readonly momentum: readonly SavedLayerState[] | null;
  /** Percentile-clipping history (float64, base64), or null when clipping is off. */
  readonly percentileHistory: string | null;
}
