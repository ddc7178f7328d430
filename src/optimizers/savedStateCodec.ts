import type { LayerPlan } from '../core/LayerPlan.js';
import { OptimizerInputError } from '../core/OptimizerInputError.js';
import type { LayerState, StateSnapshot } from '../core/StateSnapshot.js';
import type { NumericType } from '../numeric/NumericType.js';
import { decodeBase64, encodeBase64 } from '../util/base64.js';
import { PERCENTILE_HISTORY } from './PercentileClipper.js';
import type { SavedLayerState, SavedOptimizerState, SavedStateSettings } from './SavedOptimizerState.js';

/**
 * A saved state, decoded and checked against the optimizer that loads it, ready to install.
 *
 * @category Optimizers
 */
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

/**
 * What the loading optimizer tells the decoder about itself.
 *
 * @category Optimizers
 */
export interface StateLoader {
  /** Its family, as {@link SavedOptimizerState.optimizer} names it. */
  readonly kind: string;
  /** Its plan for a vector of `length` elements (throws when its layout does not fit). */
  planFor(length: number): LayerPlan;
  /** The settings it would record for a state laid out by `plan`. */
  settingsFor(plan: LayerPlan | null): SavedStateSettings;
}

/**
 * The settings a state laid out by `plan` depends on, from the optimizer's rule and plan options.
 *
 * @category Optimizers
 */
export function stateSettings(
  plan: LayerPlan | null,
  rule: SavedStateSettings['rule'],
  momentum: boolean,
  planOptions: { readonly optimBits: 8 | 32; readonly min8bitSize: number },
): SavedStateSettings {
  return {
    rule,
    momentum,
    optimBits: planOptions.optimBits,
    min8bitSize: planOptions.min8bitSize,
    layers: plan === null ? null : plan.segments.map((s) => [s.end - s.start, s.stateBits] as const),
  };
}

/**
 * The momentum layers of a snapshot, as JSON-safe base64 of their bytes.
 *
 * @category Optimizers
 */
export function encodeMomentum(snapshot: StateSnapshot): SavedLayerState[] {
  return snapshot.layers.map((layer) =>
    layer.bits === 32
      ? { bits: 32, values: encodeBase64(layer.values) }
      : { bits: 8, codes: encodeBase64(layer.codes), absmax: encodeBase64(layer.absmax) },
  );
}

/**
 * A percentile-clipping history as base64 of its float64 bytes.
 *
 * @category Optimizers
 */
export function encodePercentileHistory(history: Float64Array): string {
  return encodeBase64(history);
}

/**
 * Decodes and checks a saved state without changing anything. Each field of
 * `saved` is read once, so a getter cannot pass a check and then return
 * something else.
 *
 * @throws {@link OptimizerInputError} (`invalid-state`) naming what does not fit.
 *
 * @category Optimizers
 */
export function decodeSavedState(saved: unknown, loader: StateLoader): DecodedState {
  const bad = (why: string) => new OptimizerInputError('invalid-state', `cannot load optimizer state: ${why}`);
  if (typeof saved === 'string') throw bad('got a string; loadState takes the object saveState() returned: parse JSON text first, loadState(JSON.parse(text))');
  if (saved === null || typeof saved !== 'object') throw bad(`expected an object from saveState(), got ${saved === null ? 'null' : typeof saved}`);
  const { format, version, optimizer, settings, stepCount, stepsPerEpoch, dtype, length, momentum, percentileHistory } =
    saved as Record<keyof SavedOptimizerState, unknown>;
  if (format !== 'lars-ts.optimizer-state') throw bad('not a lars-ts optimizer state (format field missing or wrong)');
  if (version !== 1 && version !== 2) throw bad(`unsupported version ${String(version)}`);
  if (!isCount(stepCount)) throw bad(`stepCount ${String(stepCount)} is not a count`);
  if (stepsPerEpoch !== null && !(isCount(stepsPerEpoch) && stepsPerEpoch >= 1)) {
    throw bad(`stepsPerEpoch ${JSON.stringify(stepsPerEpoch)} must be a positive integer or null`);
  }
  if (dtype !== null && dtype !== 'float32' && dtype !== 'float64') throw bad(`dtype ${JSON.stringify(dtype)} must be 'float32', 'float64' or null`);
  if (length !== null && !isCount(length)) throw bad(`length ${String(length)} is not a count`);
  if ((length === null) !== (dtype === null)) throw bad('length and dtype come together (both null before the first step)');
  if (version === 2 && optimizer !== loader.kind) {
    throw bad(`it was saved by a '${String(optimizer)}' optimizer; this one is '${loader.kind}'`);
  }

  let plan: LayerPlan | null = null;
  if (length !== null) {
    try {
      plan = loader.planFor(length);
    } catch (e) {
      throw bad(`the saved state is for ${length} parameters (its length field), which this optimizer's layout does not fit: ${(e as Error).message}`);
    }
  }
  const expected = loader.settingsFor(plan);
  if (version === 2) checkSettings(settings, expected, bad);
  if (momentum !== null && !expected.momentum) throw bad('the state holds momentum, but this optimizer has momentum 0 (it would be dropped)');

  let snapshot: StateSnapshot | null = null;
  let history: Float64Array | null = null;
  try {
    if (momentum !== null) {
      if (plan === null || dtype === null) throw new Error('momentum is present but length or dtype is missing');
      if (!Array.isArray(momentum)) throw new Error('momentum must be an array of layers or null');
      snapshot = { dtype, layers: momentum.map((m, l) => decodeLayer(m as SavedLayerState, dtype, l)) };
    }
    if (percentileHistory !== null) {
      if (typeof percentileHistory !== 'string') throw new Error('percentileHistory must be base64 text or null');
      history = new Float64Array(whole(decodeBase64(percentileHistory), 8));
      if (plan === null || history.length !== plan.segments.length * PERCENTILE_HISTORY) {
        throw new Error('percentile history does not match the layer plan');
      }
      for (const h of history) if (!(h >= 0 && h < Infinity)) throw new Error(`percentile history holds ${h}; squared norms are finite and >= 0`);
    }
  } catch (e) {
    throw bad((e as Error).message);
  }
  return { plan, snapshot, percentileHistory: history, stepCount, stepsPerEpoch, dtype };
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

/** Refuses settings that differ from the loader's, naming the first difference. */
function checkSettings(saved: unknown, expected: SavedStateSettings, bad: (why: string) => Error): void {
  if (saved === null || typeof saved !== 'object') throw bad('settings are missing (version 2 records them)');
  const s = saved as Record<keyof SavedStateSettings, unknown>;
  const rule = s.rule as Record<string, unknown> | null;
  if (rule === null || typeof rule !== 'object') throw bad('settings.rule is missing');
  for (const [field, want] of Object.entries(expected.rule)) {
    if (rule[field] !== want) {
      throw bad(`it was saved under rule.${field} = ${JSON.stringify(rule[field])}, this optimizer has ${JSON.stringify(want)} (another preset or rule)`);
    }
  }
  if (s.momentum !== expected.momentum) {
    throw bad(`it was saved ${s.momentum ? 'with' : 'without'} momentum, this optimizer has ${expected.momentum ? 'momentum > 0' : 'momentum 0'}`);
  }
  if (s.optimBits !== expected.optimBits) {
    throw bad(`it was saved with ${String(s.optimBits)}-bit state (optimBits ${String(s.optimBits)}), this optimizer keeps ${expected.optimBits}-bit state`);
  }
  if (s.min8bitSize !== expected.min8bitSize) throw bad(`it was saved with min8bitSize ${String(s.min8bitSize)}, this optimizer has ${expected.min8bitSize}`);
  const layers = s.layers;
  if (expected.layers === null || layers === null) {
    if (layers !== expected.layers) throw bad('settings.layers does not match the saved length');
    return;
  }
  if (!Array.isArray(layers) || layers.length !== expected.layers.length) {
    throw bad(`it has ${Array.isArray(layers) ? layers.length : 'no'} layer(s), this optimizer's layout makes ${expected.layers.length}`);
  }
  expected.layers.forEach(([size, bits], l) => {
    const [savedSize, savedBits] = (layers[l] ?? []) as unknown[];
    if (savedSize !== size) throw bad(`layer ${l} has ${String(savedSize)} element(s) in the saved state, ${size} in this optimizer's layout`);
    if (savedBits !== bits) throw bad(`layer ${l} keeps ${String(savedBits)}-bit state in the saved state, ${bits}-bit here`);
  });
}

function decodeLayer(layer: SavedLayerState, dtype: NumericType, l: number): LayerState {
  if (layer === null || typeof layer !== 'object') throw new Error(`momentum layer ${l} is not an object`);
  const { bits } = layer;
  if (bits === 32) {
    const bytes = decodeBase64(text(layer.values, l));
    const values = dtype === 'float32' ? new Float32Array(whole(bytes, 4)) : new Float64Array(whole(bytes, 8));
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i])) throw new Error(`momentum layer ${l} holds ${values[i]} at element ${i}; momentum must be finite`);
    }
    return { bits: 32, values };
  }
  if (bits === 8) {
    return { bits: 8, codes: decodeBase64(text(layer.codes, l)), absmax: new Float32Array(whole(decodeBase64(text(layer.absmax, l)), 4)) };
  }
  throw new Error(`momentum layer ${l} has ${String(bits)} bits; expected 8 or 32`);
}

function text(value: unknown, l: number): string {
  if (typeof value !== 'string') throw new Error(`momentum layer ${l} holds ${typeof value} where base64 text belongs`);
  return value;
}

/** The buffer of `bytes`, checked to hold whole elements of `size` bytes. */
function whole(bytes: Uint8Array, size: number): ArrayBuffer {
  if (bytes.byteLength % size !== 0) throw new Error(`${bytes.byteLength} bytes do not make whole ${size}-byte elements`);
  return bytes.buffer as ArrayBuffer;
}
