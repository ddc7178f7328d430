import type { NumericType } from '../numeric/NumericType.js';
import type { LARSRule } from '../options/LARSRule.js';

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
 * What a saved state depends on, recorded by `saveState()` so that
 * `loadState()` can refuse a state saved under other settings: the rule
 * (with its momentum convention), whether there is momentum, the state's
 * width, and the layers.
 *
 * @category Optimizers
 */
export interface SavedStateSettings {
  /** The rule record the momentum was built under. */
  readonly rule: LARSRule;
  /** Whether the optimizer keeps a momentum buffer (momentum > 0). */
  readonly momentum: boolean;
  /** 32, or 8 for blockwise-quantized state. */
  readonly optimBits: 8 | 32;
  /** Layers smaller than this keep 32-bit state when optimBits is 8. */
  readonly min8bitSize: number;
  /** Each layer's element count and state width, in order; null before the first step. */
  readonly layers: readonly (readonly [size: number, stateBits: 8 | 32])[] | null;
}

/**
 * An optimizer's state as plain JSON: everything needed to continue a run
 * bit for bit in a fresh optimizer built with the same options.
 *
 * @category Optimizers
 */
export interface SavedOptimizerState {
  /** Always `'lars-ts.optimizer-state'`. */
  readonly format: 'lars-ts.optimizer-state';
  /** Format version: 2 (1, without {@link SavedOptimizerState.settings}, still loads). */
  readonly version: 1 | 2;
  /** The optimizer family that saved it: `'lars'` or `'momentum-sgd'` (fixed names, safe under minifiers). */
  readonly optimizer: string;
  /** What the state depends on; a state whose settings differ from the loading optimizer's is refused. */
  readonly settings?: SavedStateSettings;
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
