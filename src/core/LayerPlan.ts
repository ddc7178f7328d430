import type { ParameterKind, ParameterLayout } from '../models/ParameterLayout.js';
import { OptimizerInputError } from './OptimizerInputError.js';

/**
 * One layer: a contiguous range [start, end) of the flat vector and how LARS treats it.
 *
 * @category Backends
 */
export interface LayerSegment {
  /** Position of the layer in the plan, as `skipLARSLayers` counts. */
  readonly index: number;
  /** A readable name: the tensor's name, or `layer<index>`. */
  readonly name: string;
  /** What the layer holds; bias and norm layers may be excluded from LARS. */
  readonly kind: ParameterKind;
  /** First element of the layer in the flat vector. */
  readonly start: number;
  /** One past the last element. */
  readonly end: number;
  /** Whether the trust ratio applies (false for skipped and excluded layers). */
  readonly adapt: boolean;
  /** Whether weight decay applies (false for excluded bias and norm layers). */
  readonly decay: boolean;
  /** Bits per momentum-state element for this layer: 32, or 8 when quantized. */
  readonly stateBits: 8 | 32;
}

/**
 * How a flat vector of `length` elements splits into layers. Built once, reused every step.
 *
 * @category Backends
 */
export interface LayerPlan {
  /** Elements in the whole vector. */
  readonly length: number;
  /** The layers, in order, covering [0, length) without gaps. */
  readonly segments: readonly LayerSegment[];
}

/**
 * The options a plan is built from.
 *
 * @category Backends
 */
export interface LayerPlanOptions {
  /** Cumulative exclusive layer ends, or null. */
  readonly layerBoundaries: readonly number[] | null;
  /** Layer indices that use ratio 1 but keep decay, or null. */
  readonly skipLARSLayers: readonly number[] | null;
  /** Whether bias and norm layers get ratio 1 and no decay. */
  readonly excludeBiasFromLARS: boolean;
  /** 8 or 32 bits of momentum state. */
  readonly optimBits: 8 | 32;
  /** Layers below this size keep 32-bit state. */
  readonly min8bitSize: number;
}

/**
 * Plan options that change nothing: layers from the layout (or one layer),
 * no skips, no exclusions, 32-bit state. Spread it and override what differs,
 * e.g. `{ ...PLAIN_PLAN, optimBits: 8 }`.
 *
 * @category Backends
 */
export const PLAIN_PLAN: LayerPlanOptions = Object.freeze({
  layerBoundaries: null,
  skipLARSLayers: null,
  excludeBiasFromLARS: false,
  optimBits: 32,
  min8bitSize: 4096,
});

interface RawSegment {
  name: string;
  kind: ParameterKind;
  start: number;
  end: number;
}

/**
 * Splits a flat vector into layers:
 * 1. by `layerBoundaries` when given (elements after the last end form one more
 *    layer; with a layout, each layer takes the kind of the tensors in it, and
 *    with `excludeBiasFromLARS` a layer that mixes kinds is an error, since
 *    bias or norm elements would silently get the trust ratio and weight decay);
 * 2. else by the layout, one layer per tensor;
 * 3. else as one weight layer.
 *
 * @throws `OptimizerInputError` (`invalid-layout`) when a boundary lies past
 * the end, the layout does not add up to `length`, a skipped index does not
 * exist, or (with `excludeBiasFromLARS`) a boundary layer mixes tensor kinds.
 *
 * @category Backends
 */
export function buildLayerPlan(length: number, options: LayerPlanOptions, layout?: ParameterLayout | null): LayerPlan {
  if (layout != null) checkLayout(layout, length);
  const raw =
    options.layerBoundaries !== null
      ? segmentsFromBoundaries(length, options.layerBoundaries, layout ?? null, options.excludeBiasFromLARS)
      : layout != null
        ? segmentsFromLayout(layout)
        : [{ name: 'layer0', kind: 'weight' as ParameterKind, start: 0, end: length }];
  const skip = new Set(options.skipLARSLayers ?? []);
  for (const index of skip) {
    if (index >= raw.length) {
      throw new OptimizerInputError(
        'invalid-layout',
        `skipLARSLayers names layer ${index}, but the vector has ${raw.length} layer(s) (indices 0..${raw.length - 1})`,
      );
    }
  }
  const segments = raw.map((s, index): LayerSegment => {
    const excluded = options.excludeBiasFromLARS && s.kind !== 'weight';
    const size = s.end - s.start;
    return Object.freeze({
      index,
      name: s.name,
      kind: s.kind,
      start: s.start,
      end: s.end,
      adapt: !excluded && !skip.has(index),
      decay: !excluded,
      stateBits: options.optimBits === 8 && size >= options.min8bitSize ? 8 : 32,
    });
  });
  return Object.freeze({ length, segments: Object.freeze(segments) });
}

function checkLayout(layout: ParameterLayout, length: number): void {
  if (!Array.isArray(layout)) throw new OptimizerInputError('invalid-layout', `the layout must be an array of { name, size, kind }, got ${typeof layout}`);
  let total = 0;
  // An index loop, not forEach: forEach skips the holes of a sparse array.
  for (let i = 0; i < layout.length; i++) {
    const t: unknown = layout[i];
    if (t === null || typeof t !== 'object') {
      throw new OptimizerInputError('invalid-layout', `layout entry ${i} is ${t === undefined ? 'missing (a hole in the array?)' : String(t)}; expected { name, size, kind }`);
    }
    checkTensor(t as ParameterLayout[number], i);
    total += (t as ParameterLayout[number]).size;
  }
  if (total !== length) {
    throw new OptimizerInputError('invalid-layout', `the layout's sizes add up to ${total}, but the vector has ${length} elements`);
  }
}

function checkTensor(t: ParameterLayout[number], i: number): void {
  if (typeof t.name !== 'string') throw new OptimizerInputError('invalid-layout', `layout tensor ${i} has name ${String(t.name)}; names are strings`);
  if (!Number.isInteger(t.size) || t.size < 0) {
    throw new OptimizerInputError('invalid-layout', `layout tensor ${i} (${t.name}) has size ${t.size}; sizes must be non-negative integers`);
  }
  if (t.kind !== 'weight' && t.kind !== 'bias' && t.kind !== 'norm') {
    throw new OptimizerInputError('invalid-layout', `layout tensor ${i} (${t.name}) has kind ${String(t.kind)}; expected 'weight', 'bias' or 'norm'`);
  }
}

function segmentsFromLayout(layout: ParameterLayout): RawSegment[] {
  let start = 0;
  return layout.map((t) => {
    const segment = { name: t.name, kind: t.kind, start, end: start + t.size };
    start += t.size;
    return segment;
  });
}

function segmentsFromBoundaries(length: number, boundaries: readonly number[], layout: ParameterLayout | null, kindsMatter: boolean): RawSegment[] {
  const last = boundaries[boundaries.length - 1];
  if (last !== undefined && last > length) {
    throw new OptimizerInputError(
      'invalid-layout',
      `layerBoundaries ends at ${last}, past the end of the parameter vector (${length} elements)`,
    );
  }
  const ends = last === length ? [...boundaries] : [...boundaries, length];
  let start = 0;
  return ends.map((end, index) => {
    const segment = { name: `layer${index}`, kind: kindWithin(layout, start, end, index, kindsMatter), start, end };
    start = end;
    return segment;
  });
}

/**
 * The one kind of the layout tensors in [start, end) ('weight' without a
 * layout). Mixed kinds: 'weight' when kinds do not matter, else an error
 * that names the tensors and where the boundaries should go.
 */
function kindWithin(layout: ParameterLayout | null, start: number, end: number, index: number, kindsMatter: boolean): ParameterKind {
  if (layout === null || end <= start) return 'weight';
  const kinds = new Set<ParameterKind>();
  const inside: string[] = [];
  const ends: number[] = [];
  let offset = 0;
  for (const t of layout) {
    const tEnd = offset + t.size;
    if (tEnd > start && offset < end && t.size > 0) {
      kinds.add(t.kind);
      inside.push(`${t.name} (${t.kind}, elements ${offset}..${tEnd - 1})`);
      if (tEnd < end) ends.push(tEnd);
    }
    offset = tEnd;
  }
  if (kinds.size === 1) return [...kinds][0];
  if (!kindsMatter) return 'weight';
  throw new OptimizerInputError(
    'invalid-layout',
    `layerBoundaries make layer ${index} (elements ${start}..${end - 1}) of tensors of different kinds: ${inside.join(', ')}; ` +
      `with excludeBiasFromLARS its bias/norm elements would get the trust ratio and weight decay. ` +
      `Put boundaries at the tensor ends (${ends.join(', ')}), drop layerBoundaries to use one layer per tensor, or set excludeBiasFromLARS: false`,
  );
}
