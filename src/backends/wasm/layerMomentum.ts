import type { LayerSegment } from '../../core/LayerPlan.js';
import { WasmQuantizedState } from './WasmQuantizedState.js';
import type { WasmState } from './WasmState.js';

/**
 * Where one layer's momentum lives in WebAssembly memory (byte addresses of
 * the layer's first element): nowhere, a full-precision buffer, or 8-bit
 * codes with their float32 absmax (one per 256-element block from the layer's start).
 *
 * @category Backends
 */
export type LayerMomentum =
  | { readonly bits: 0 }
  | { readonly bits: 32; readonly buf: number }
  | { readonly bits: 8; readonly codes: number; readonly absmax: number };

/**
 * Where layer `s`'s momentum lives in `state` (null: no momentum), with
 * `size` bytes per full-precision element. The 32-bit layers of a
 * `WasmQuantizedState` live in its packed values.
 *
 * @category Backends
 */
export function layerMomentum(state: WasmState | WasmQuantizedState | null, s: LayerSegment, size: number): LayerMomentum {
  if (state === null) return { bits: 0 };
  if (!(state instanceof WasmQuantizedState)) return { bits: 32, buf: state.address + s.start * size };
  const at = state.offset[s.index];
  if (s.stateBits === 8) return { bits: 8, codes: state.codesAddress + at, absmax: state.absmaxAddress + 4 * state.blockOffset[s.index] };
  return { bits: 32, buf: state.valuesAddress + at * size };
}
