import { type SavedOptimizerState } from '../../src/index.js';
import { dequantizeBlockwise } from '../../src/quantization/blockwise.js';
import { decodeBase64, encodeBase64 } from '../../src/util/base64.js';

/** The momentum of every layer of a saved state as float64, 8-bit layers dequantized. */
export function momentumOf(saved: SavedOptimizerState): Float64Array[] {
  if (saved.momentum === null) throw new Error('no momentum state');
  return saved.momentum.map((layer) => {
    if (layer.bits === 32) {
      const bytes = decodeBase64(layer.values);
      return Float64Array.from(saved.dtype === 'float32' ? new Float32Array(bytes.buffer) : new Float64Array(bytes.buffer));
    }
    const codes = decodeBase64(layer.codes);
    const absmax = new Float32Array(decodeBase64(layer.absmax).buffer);
    const out = new Float64Array(codes.length);
    dequantizeBlockwise(codes, absmax, out);
    return out;
  });
}

/**
 * The saved state with every 8-bit layer replaced by its dequantized values in
 * the state's numeric type: what a 32-bit optimizer loads to start from the
 * 8-bit optimizer's exact position.
 */
export function dequantizedState(saved: SavedOptimizerState): SavedOptimizerState {
  const dtype = saved.dtype ?? 'float32';
  const layers = momentumOf(saved).map((m) => ({
    bits: 32 as const,
    values: encodeBase64(dtype === 'float32' ? Float32Array.from(m) : m),
  }));
  const settings = saved.settings && {
    ...saved.settings,
    optimBits: 32 as const,
    layers: saved.settings.layers?.map(([size]) => [size, 32] as const) ?? null,
  };
  return { ...saved, settings, momentum: layers };
}
