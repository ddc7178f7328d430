import type { LayerPlan } from '../core/LayerPlan.js';
import { OptimizerInputError } from '../core/OptimizerInputError.js';
import type { LayerState, StateSnapshot } from '../core/StateSnapshot.js';
import type { NumericType } from '../numeric/NumericType.js';
import { decodeBase64, encodeBase64 } from '../util/base64.js';
import { PERCENTILE_HISTORY } from './PercentileClipper.js';
import type { SavedLayerState, SavedOptimizerState } from './SavedOptimizerState.js';

/** A saved state, decoded and checked against the optimizer that loads it, ready to install. */
export interface DecodedState {
  /** The plan for the saved length, or null when nothing was stepped yet. */
  readonly plan: LayerPlan | null;
  /** The momentum, exact, or null when there is none. */
  readonly snapshot: StateSnapshot | null;
  /** The percentile-clipping history, or null when clipping was off. */
  readonly percentileHistory: Float64Array | null;
  /** Steps taken. */
  readonly stepCount: number;
  /** Steps per epoch the schedule used, or null. */
  readonly stepsPerEpoch: number | null;
  /** Numeric type of the parameters, or null before the first step. */
  readonly dtype: NumericType | null;
}

/** The momentum layers of a snapshot, as JSON-safe base64 of their bytes. */
export function encodeMomentum(snapshot: StateSnapshot): SavedLayerState[] {
  return snapshot.layers.map((layer) =>
    layer.bits === 32
      ? { bits: 32, values: encodeBase64(layer.values) }
      : { bits: 8, codes: encodeBase64(layer.codes), absmax: encodeBase64(layer.absmax) },
  );
}

/** A percentile-clipping history as base64 of its float64 bytes. */
export function encodePercentileHistory(history: Float64Array): string {
  return encodeBase64(history);
}

/**
 * Decodes and checks a saved state without changing anything.
 *
 * @param planFor - builds the loading optimizer's plan for a length (throws when the layout does not fit).
 * @throws {@link OptimizerInputError} (`invalid-state`) naming what does not fit.
 */
export function decodeSavedState(saved: SavedOptimizerState, planFor: (length: number) => LayerPlan): DecodedState {
  const bad = (why: string) => new OptimizerInputError('invalid-state', `cannot load optimizer state: ${why}`);
  if (typeof saved === 'string') {
    throw bad('got a string; loadState takes the object saveState() returned: parse JSON text first, loadState(JSON.parse(text))');
  }
  if (saved === null || typeof saved !== 'object' || saved.format !== 'lars-ts.optimizer-state') {
    throw bad('not a lars-ts optimizer state (format field missing or wrong)');
  }
  if (saved.version !== 1) throw bad(`unsupported version ${String(saved.version)}`);
  if (!Number.isInteger(saved.stepCount) || saved.stepCount < 0) throw bad(`stepCount ${saved.stepCount} is not a count`);
  let plan: LayerPlan | null = null;
  if (saved.length !== null) {
    if (!Number.isInteger(saved.length) || saved.length < 0) throw bad(`length ${saved.length} is not a count`);
    try {
      plan = planFor(saved.length);
    } catch (e) {
      throw bad(`the saved state is for ${saved.length} parameters (its length field), which this optimizer's layout does not fit: ${(e as Error).message}`);
    }
  }
  let snapshot: StateSnapshot | null = null;
  let percentileHistory: Float64Array | null = null;
  try {
    if (saved.momentum !== null) {
      if (plan === null || (saved.dtype !== 'float32' && saved.dtype !== 'float64')) {
        throw new Error('momentum is present but length or dtype is missing');
      }
      const dtype = saved.dtype;
      snapshot = { dtype, layers: saved.momentum.map((m) => decodeLayer(m, dtype)) };
    }
    if (saved.percentileHistory !== null) {
      percentileHistory = new Float64Array(whole(decodeBase64(saved.percentileHistory), 8));
      if (plan === null || percentileHistory.length !== plan.segments.length * PERCENTILE_HISTORY) {
        throw new Error('percentile history does not match the layer plan');
      }
    }
  } catch (e) {
    throw bad((e as Error).message);
  }
  return { plan, snapshot, percentileHistory, stepCount: saved.stepCount, stepsPerEpoch: saved.stepsPerEpoch, dtype: saved.dtype };
}

function decodeLayer(layer: SavedLayerState, dtype: NumericType): LayerState {
  if (layer.bits === 32) {
    const bytes = decodeBase64(layer.values);
    const values = dtype === 'float32' ? new Float32Array(whole(bytes, 4)) : new Float64Array(whole(bytes, 8));
    return { bits: 32, values };
  }
  if (layer.bits === 8) {
    return { bits: 8, codes: decodeBase64(layer.codes), absmax: new Float32Array(whole(decodeBase64(layer.absmax), 4)) };
  }
  throw new Error(`a layer has ${String((layer as { bits: unknown }).bits)} bits; expected 8 or 32`);
}

/** The buffer of `bytes`, checked to hold whole elements of `size` bytes. */
function whole(bytes: Uint8Array, size: number): ArrayBuffer {
  if (bytes.byteLength % size !== 0) throw new Error(`${bytes.byteLength} bytes do not make whole ${size}-byte elements`);
  return bytes.buffer as ArrayBuffer;
}
