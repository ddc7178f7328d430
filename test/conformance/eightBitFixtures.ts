import { LARS, LARS8bit, LARSOptimizer, presets, Vector, type FixedBitsKwargs, type NumericType, type OptimizerSetup, type ParameterLayout, type SavedOptimizerState } from '../../src/index.js';
import { type LayerState } from '../../src/core/StateSnapshot.js';
import { decodeBase64 } from '../../src/util/base64.js';
import { normal, normalFloat32 } from '../support/random.js';

/** Builds an optimizer on the given backend setup (backend, onWarning). */
export type Make = (setup: OptimizerSetup) => LARSOptimizer;

/** A layout with every kind of layer, its frozen (all-zero) layer and the state bits its layers keep. */
export interface EightBitLayout {
  readonly layout: ParameterLayout;
  readonly n: number;
  /** Elements [start, end) of the layer whose weights and gradients are all zero. */
  readonly frozen: readonly [number, number];
  /** Index of the frozen layer. */
  readonly frozenLayer: number;
  /** Index of a live 8-bit layer. */
  readonly liveLayer: number;
  /** State bits of each layer at min_8bit_size 4096. */
  readonly bits: readonly number[];
}

function layoutOf(layout: ParameterLayout, frozenLayer: number, liveLayer: number, bits: number[]): EightBitLayout {
  const starts = layout.map((_, i) => layout.slice(0, i).reduce((a, t) => a + t.size, 0));
  return {
    layout,
    n: layout.reduce((a, t) => a + t.size, 0),
    frozen: [starts[frozenLayer], starts[frozenLayer] + layout[frozenLayer].size],
    frozenLayer,
    liveLayer,
    bits,
  };
}

/** Whole 256-blocks, 19 blocks and a partial one of 137 (odd: the kernels' scalar tail), a zero layer, a 32-bit bias. */
export const ODD_LAYOUT = layoutOf(
  [
    { name: 'conv.weight', size: 8192, kind: 'weight' },
    { name: 'fc.weight', size: 5001, kind: 'weight' },
    { name: 'frozen.weight', size: 4100, kind: 'weight' },
    { name: 'fc.bias', size: 100, kind: 'bias' },
  ],
  2,
  1,
  [8, 8, 8, 32],
);

/** 8-bit, 8-bit not a multiple of 256, 32-bit (below min8bitSize), a zero layer, a bias. */
export const MIXED_LAYOUT = layoutOf(
  [
    { name: 'conv.weight', size: 8192, kind: 'weight' },
    { name: 'fc.weight', size: 5000, kind: 'weight' },
    { name: 'small.weight', size: 300, kind: 'weight' },
    { name: 'frozen.weight', size: 4100, kind: 'weight' },
    { name: 'fc.bias', size: 7, kind: 'bias' },
  ],
  3,
  1,
  [8, 8, 32, 8, 32],
);

/** One optimizer-level 8-bit scenario: options, layout, data and length. */
export interface EightBitCase {
  readonly name: string;
  readonly dtype: NumericType;
  /** Whether a backend that places vectors in its memory gets zero-copy vectors. */
  readonly zeroCopy: boolean;
  readonly layout: EightBitLayout;
  readonly steps: number;
  /** Seeds of the start weights and of the gradients. */
  readonly seeds: readonly [number, number];
  /** Gradient scale at `step`. */
  readonly gradientScale: (step: number) => number;
  /** min_8bit_size when not 4096 (then the layers' bits differ from the layout's). */
  readonly bits?: readonly number[];
  readonly make: (layout: ParameterLayout) => Make;
}

const bnb = (kwargs: Record<string, number | boolean>) => (layout: ParameterLayout): Make => (s) => new LARS(layout, { lr: 0.05, optim_bits: 8, ...kwargs }, {}, s);
const eightBit = (kwargs: FixedBitsKwargs) => (layout: ParameterLayout): Make => (s) => new LARS8bit(layout, kwargs, {}, s);
const pulsing = (step: number) => 0.01 * (1 + (step % 4));
const flat = () => 0.01;

const ODD_CASES: EightBitCase[] = [
  { name: 'nesterov, weight decay, max_unorm, percentile clipping', dtype: 'float32', zeroCopy: true,
    make: bnb({ momentum: 0.9, nesterov: true, weight_decay: 1e-3, max_unorm: 0.02, percentile_clipping: 90 }) },
  { name: 'dampening, weight decay, no max_unorm', dtype: 'float32', zeroCopy: false,
    make: bnb({ momentum: 0.8, dampening: 0.3, weight_decay: 5e-4, max_unorm: 0 }) },
  { name: 'nesterov, max_unorm, percentile clipping', dtype: 'float64', zeroCopy: true,
    make: bnb({ momentum: 0.9, nesterov: true, weight_decay: 1e-4, max_unorm: 0.02, percentile_clipping: 95 }) },
  { name: 'dampening, weight decay, no max_unorm', dtype: 'float64', zeroCopy: false,
    make: bnb({ momentum: 0.9, dampening: 0.1, weight_decay: 1e-3, max_unorm: 0 }) },
  { name: 'timm rule (trust ratio) with optimBits 8', dtype: 'float32', zeroCopy: true,
    make: (layout: ParameterLayout): Make => (s) => new LARSOptimizer(null, presets.timm({ lr: 0.1, momentum: 0.9, weight_decay: 1e-4 }, { optimBits: 8 }), { ...s, layout }) },
  { name: 'momentum 0 (no state), max_unorm', dtype: 'float32', zeroCopy: true, make: bnb({ momentum: 0, weight_decay: 1e-4 }) },
  { name: 'momentum 0 (no state)', dtype: 'float64', zeroCopy: false, make: bnb({ momentum: 0, weight_decay: 1e-4, max_unorm: 0 }) },
].map((c) => ({ ...c, dtype: c.dtype as NumericType, layout: ODD_LAYOUT, steps: 30, seeds: [21, 22] as const, gradientScale: pulsing }));

const MIXED_CASES: EightBitCase[] = ([
  ['nesterov, weight decay, max_unorm 0.02', { lr: 0.05, momentum: 0.9, weight_decay: 1e-3, nesterov: true, max_unorm: 0.02 }, undefined],
  ['dampening, percentile clipping, no max_unorm', { lr: 0.05, momentum: 0.8, dampening: 0.3, percentile_clipping: 80, max_unorm: 0 }, undefined],
  ['every layer 8-bit (min_8bit_size 1), max_unorm 0.005', { lr: 0.1, momentum: 0.95, weight_decay: 5e-4, min_8bit_size: 1, max_unorm: 0.005 }, [8, 8, 8, 8, 8]],
] as [string, FixedBitsKwargs, number[] | undefined][]).map(([name, kwargs, bits], k) => ({
  name, dtype: 'float32' as NumericType, zeroCopy: false, layout: MIXED_LAYOUT, steps: 6, seeds: [20 + k, 30 + k] as const,
  gradientScale: flat, make: eightBit(kwargs), ...(bits === undefined ? {} : { bits }),
}));

/** The cases: 30 steps on the odd layout (from the WASM tests), 6 steps on the mixed one (from the GPU tests). */
export const EIGHT_BIT_CASES: readonly EightBitCase[] = [...ODD_CASES, ...MIXED_CASES];

/** Start weights of a case: N(0, 0.1) rounded to float32, the frozen layer all zero. */
export function startWeights(layout: EightBitLayout, seed: number): number[] {
  const w = Array.from(normalFloat32(layout.n, normal(seed), 0.1));
  w.fill(0, layout.frozen[0], layout.frozen[1]);
  return w;
}

/** A gradient: `scale`·N(0, 1) rounded to float32, zero on the frozen layer. */
export function gradient(layout: EightBitLayout, dtype: NumericType, rnd: () => number, scale: number): Vector {
  const g = Float64Array.from(normalFloat32(layout.n, rnd, scale));
  g.fill(0, layout.frozen[0], layout.frozen[1]);
  return Vector.from(g, dtype);
}

/** The bytes of elements [from, to) of a float array. */
export function bytesOf(a: Float32Array | Float64Array, from = 0, to = a.length): Buffer {
  return Buffer.from(a.buffer, a.byteOffset + from * a.BYTES_PER_ELEMENT, (to - from) * a.BYTES_PER_ELEMENT);
}

/** max |a − b| over [from, to). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>, from = 0, to = a.length): number {
  let m = 0;
  for (let i = from; i < to; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** The saved state's layers, decoded. */
export function layersOf(saved: SavedOptimizerState): LayerState[] {
  return saved.momentum!.map((m) =>
    m.bits === 8
      ? { bits: 8 as const, codes: decodeBase64(m.codes), absmax: new Float32Array(decodeBase64(m.absmax).buffer) }
      : { bits: 32 as const, values: saved.dtype === 'float64' ? new Float64Array(decodeBase64(m.values).buffer) : new Float32Array(decodeBase64(m.values).buffer) },
  );
}
