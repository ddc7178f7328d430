import { z } from 'zod';
import { flag, integerAtLeast, nonNegativeNumber, percentile, positiveNumber, stateBits, unitIntervalClosed, unitIntervalOpenAbove } from './fieldRules.js';
import { LARSOptimizerOptions, type LARSOptimizerOptionsInput } from './LARSOptimizerOptions.js';
import { BITSANDBYTES_RULE, BOLTS_RULE, TIMM_RULE } from './LARSRule.js';
import { givenFields } from './givenFields.js';
import { parseOptions } from './parseOptions.js';

/**
 * Presets that reproduce the PyTorch peers step for step. Each takes the
 * peer's own keyword names (snake_case, so a recipe can be pasted in) with the
 * peer's defaults, plus optional overrides in lars-ts names, and returns
 * {@link LARSOptimizerOptions}. The peers know no warmup, schedule or bias
 * exclusion, so presets turn those off unless overridden.
 */

const sharedKwargs = {
  /** Learning rate. */
  lr: positiveNumber(),
  /** Momentum factor. */
  momentum: unitIntervalOpenAbove().default(0),
  /** Dampening of momentum. */
  dampening: unitIntervalClosed().default(0),
  /** Weight decay (L2). */
  weight_decay: nonNegativeNumber().default(0),
  /** Nesterov momentum. */
  nesterov: flag().default(false),
};

/* timm `Lars` keyword arguments and their timm defaults. */
const timmKwargs = z.strictObject({
  ...sharedKwargs,
  /** Learning rate. Default 1.0, as in timm. */
  lr: positiveNumber().default(1.0),
  /** Trust coefficient. Default 0.001. */
  trust_coeff: positiveNumber().default(0.001),
  /** ε. Default 1e-8. */
  eps: nonNegativeNumber().default(1e-8),
  /** Clip the ratio to min(ratio / lr, 1). Default false. */
  trust_clip: flag().default(false),
  /** Adapt even when weight decay is 0. Default false. */
  always_adapt: flag().default(false),
});

/* Lightning Bolts `LARS` keyword arguments and their defaults (lr is required there). */
const boltsKwargs = z.strictObject({
  ...sharedKwargs,
  /** Trust coefficient. Default 0.001. */
  trust_coefficient: positiveNumber().default(0.001),
  /** ε. Default 1e-8. */
  eps: nonNegativeNumber().default(1e-8),
});

/* bitsandbytes `PytorchLARS` keyword arguments and their defaults. */
const bitsandbytesKwargs = z.strictObject({
  ...sharedKwargs,
  /** Learning rate. Default 0.01, as in PytorchLARS. */
  lr: positiveNumber().default(0.01),
  /** Update-norm clip relative to ‖w‖. Default 0.02. */
  max_unorm: nonNegativeNumber().default(0.02),
});

/**
 * Keyword arguments of timm's `Lars`.
 *
 * @useDeclaredType
 *
 * @category Options
 */
export type TimmKwargs = z.input<typeof timmKwargs>;
/**
 * Keyword arguments of Lightning Bolts' `LARS`.
 *
 * @useDeclaredType
 *
 * @category Options
 */
export type BoltsKwargs = z.input<typeof boltsKwargs>;
/**
 * Keyword arguments of bitsandbytes' `PytorchLARS`.
 *
 * @useDeclaredType
 *
 * @category Options
 */
export type BitsandbytesKwargs = z.input<typeof bitsandbytesKwargs>;

/** What no peer has: warmup, schedule and bias exclusion are off in every preset. */
const PEER_NEUTRAL: LARSOptimizerOptionsInput = {
  warmupEpochs: 0,
  learningRateSchedule: 'constant',
  excludeBiasFromLARS: false,
};

/**
 * Options that reproduce timm's `Lars` (torch momentum, adapt only with weight decay unless always_adapt).
 *
 * @category Options
 */
export function timm(kwargs: TimmKwargs = {}, overrides: LARSOptimizerOptionsInput = {}): LARSOptimizerOptions {
  const k = parseOptions(timmKwargs, kwargs, 'presets.timm keyword arguments');
  return new LARSOptimizerOptions({
    ...PEER_NEUTRAL,
    ...common(k),
    trustCoefficient: k.trust_coeff,
    epsilon: k.eps,
    rule: { ...TIMM_RULE, adaptWhen: k.always_adapt ? 'always' : TIMM_RULE.adaptWhen, trustClip: k.trust_clip },
    ...given(overrides),
  });
}

/**
 * Options that reproduce Lightning Bolts' `LARS` (plain gradient without weight decay or on zero norms).
 *
 * @category Options
 */
export function bolts(kwargs: BoltsKwargs, overrides: LARSOptimizerOptionsInput = {}): LARSOptimizerOptions {
  const k = parseOptions(boltsKwargs, kwargs, 'presets.bolts keyword arguments');
  return new LARSOptimizerOptions({
    ...PEER_NEUTRAL,
    ...common(k),
    trustCoefficient: k.trust_coefficient,
    epsilon: k.eps,
    rule: BOLTS_RULE,
    ...given(overrides),
  });
}

/**
 * Options that reproduce bitsandbytes' `PytorchLARS` (no trust ratio, update-norm
 * clip). Unlike PytorchLARS, momentum 0 works: the step is the decayed gradient.
 *
 * @category Options
 */
export function bitsandbytes(kwargs: BitsandbytesKwargs = {}, overrides: LARSOptimizerOptionsInput = {}): LARSOptimizerOptions {
  const k = parseOptions(bitsandbytesKwargs, kwargs, 'presets.bitsandbytes keyword arguments');
  return new LARSOptimizerOptions({
    ...PEER_NEUTRAL,
    ...common(k),
    maxUnorm: k.max_unorm,
    rule: BITSANDBYTES_RULE,
    ...given(overrides),
  });
}

/** The overrides a user really gave: a field set to `undefined` keeps the preset's value. */
function given(overrides: LARSOptimizerOptionsInput | undefined): LARSOptimizerOptionsInput {
  return givenFields(overrides ?? {}) as LARSOptimizerOptionsInput;
}

function common(k: { lr: number; momentum: number; dampening: number; weight_decay: number; nesterov: boolean }) {
  return {
    initialLearningRate: k.lr,
    momentum: k.momentum,
    dampening: k.dampening,
    weightDecay: k.weight_decay,
    useNesterov: k.nesterov,
  };
}


/**
 * bitsandbytes' `args` object: when given, its fields take precedence over the
 * keyword arguments of the same name (bitsandbytes uses it instead of them).
 *
 * @category Options
 */
export const bitsandbytesArgsSchema = z.strictObject({
  /** Bits of optimizer state, 8 or 32. */
  optim_bits: stateBits().optional(),
  /** Layers below this size keep 32-bit state. */
  min_8bit_size: integerAtLeast(1).optional(),
  /** Percentile clipping p in [1, 100]. */
  percentile_clipping: percentile().optional(),
  /** Update-norm clip relative to ‖w‖. */
  max_unorm: nonNegativeNumber().optional(),
});

/**
 * bitsandbytes `LARS` (the class behind `LARS8bit` and `LARS32bit`) keyword
 * arguments and their documented defaults. `lr` is required, as there.
 *
 * @category Options
 */
export const bitsandbytesLarsKwargsSchema = z.strictObject({
  ...sharedKwargs,
  /** Bits of momentum state: 32 (default) or 8 (blockwise-quantized). */
  optim_bits: stateBits().default(32),
  /** Overrides for optim_bits, min_8bit_size, percentile_clipping, max_unorm. Default null. */
  args: bitsandbytesArgsSchema.nullable().default(null),
  /** Layers with fewer elements keep 32-bit state. Default 4096. */
  min_8bit_size: integerAtLeast(1).default(4096),
  /** Clip each layer's gradient at this percentile of its last 100 norms; 100 = off. Default 100. */
  percentile_clipping: percentile().default(100),
  /** Update-norm clip relative to ‖w‖; 0 = off. Default 0.02. */
  max_unorm: nonNegativeNumber().default(0.02),
});

/**
 * Keyword arguments of bitsandbytes' `LARS`, `LARS8bit` and `LARS32bit`.
 *
 * @category Options
 */
export type BitsandbytesLarsKwargs = z.input<typeof bitsandbytesLarsKwargsSchema>;

/**
 * Options for bitsandbytes' `LARS` (the CUDA optimizer, not `PytorchLARS`): no
 * trust ratio, torch-style momentum, update-norm clip `max_unorm`, optional
 * 8-bit state and percentile clipping. Every knob works, including those
 * bitsandbytes' kernels ignore: `nesterov` and `dampening` apply, and weight
 * decay and `max_unorm` apply to 8-bit state too. Momentum 0 works (the step
 * is the decayed gradient, with no state), where bitsandbytes raises.
 *
 * @category Options
 */
export function bitsandbytesLars(kwargs: BitsandbytesLarsKwargs, overrides: LARSOptimizerOptionsInput = {}): LARSOptimizerOptions {
  const k = parseOptions(bitsandbytesLarsKwargsSchema, kwargs, 'bitsandbytes LARS keyword arguments');
  const a = k.args ?? {};
  return new LARSOptimizerOptions({
    ...PEER_NEUTRAL,
    ...common(k),
    rule: BITSANDBYTES_RULE,
    optimBits: a.optim_bits ?? k.optim_bits,
    min8bitSize: a.min_8bit_size ?? k.min_8bit_size,
    percentileClipping: a.percentile_clipping ?? k.percentile_clipping,
    maxUnorm: a.max_unorm ?? k.max_unorm,
    ...given(overrides),
  });
}
