import { buildLayerPlan, type LayerPlan } from '../../src/core/LayerPlan.js';

/**
 * A plan of consecutive layers of these sizes (all adapted, no skips), with
 * `optimBits` state; with 8, layers of at least `min8bitSize` elements are 8-bit.
 */
export function planOfSizes(sizes: readonly number[], optimBits: 8 | 32, min8bitSize = 4096): LayerPlan {
  const ends: number[] = [];
  let total = 0;
  for (const s of sizes) ends.push((total += s));
  return buildLayerPlan(total, { layerBoundaries: ends.slice(0, -1), skipLARSLayers: null, excludeBiasFromLARS: false, optimBits, min8bitSize });
}
