import { torchLinspaceFloat32 } from './torchLinspaceFloat32.js';

const f32 = Math.fround;

/**
 * Codes in an 8-bit map.
 *
 * @category Backends
 */
export const CODES = 256;
/**
 * Decimal exponent levels of the dynamic map (values from about 1e-7 to 1).
 *
 * @category Backends
 */
export const EXPONENT_LEVELS = 7;

/**
 * bitsandbytes' dynamic quantization map, `create_dynamic_map(signed)` with 7
 * exponent levels and 8 bits, built from its algorithm in float32:
 *
 * - level i (0…6) covers magnitudes 10^(i−6)·[0.1, 1]: split [0.1, 1] into
 *   2^i (signed) or 2^(i+1) (unsigned) equal parts with a float32 linspace,
 *   take each part's midpoint, and multiply by 10^(i−6);
 * - a signed map adds every value negated;
 * - 0 and 1 are added and the 256 codes sorted ascending.
 *
 * The signed map therefore runs from −0.99297 to 1 with 0 at code 127: finest
 * near zero, coarse near ±1.
 *
 * @param signed - true (default) for the signed map used for momentum.
 * @returns 256 float32 codes, ascending.
 *
 * @category Backends
 */
export function createDynamicMap(signed = true): Float32Array {
  const values: number[] = [];
  for (let i = 0; i < EXPONENT_LEVELS; i++) {
    const parts = signed ? 2 ** i : 2 ** (i + 1);
    const bounds = torchLinspaceFloat32(0.1, 1, parts + 1);
    const scale = f32(Number(`1e${i - (EXPONENT_LEVELS - 1)}`));
    const means: number[] = [];
    for (let j = 0; j < parts; j++) means.push(f32(f32(bounds[j] + bounds[j + 1]) / 2));
    for (const m of means) values.push(f32(scale * m));
    if (signed) for (const m of means) values.push(f32(-scale * m));
  }
  values.push(0, 1);
  if (values.length !== CODES) throw new Error(`dynamic map has ${values.length} codes, expected ${CODES}`);
  return Float32Array.from(values).sort();
}

/**
 * The signed dynamic map, built once. Do not modify it.
 *
 * @category Backends
 */
export const SIGNED_DYNAMIC_MAP: Float32Array = createDynamicMap(true);
