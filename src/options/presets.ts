import { z } from 'zod';
import { flag, nonNegativeNumber, positiveNumber, unitIntervalClosed, unitIntervalOpenAbove } from './fieldRules.js';
import { LARSOptimizerOptions, type LARSOptimizerOptionsInput } from './LARSOptimizerOptions.js';
import { BITSANDBYTES_RULE, BOLTS_RULE, TIMM_RULE } from './LARSRule.js';
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
 */
export type TimmKwargs = z.input<typeof timmKwargs>;
/**
 * Keyword arguments of Lightning Bolts' `LARS`.
 *
 * @useDeclaredType
 */
export type BoltsKwargs = z.input<typeof boltsKwargs>;
/**
 * Keyword arguments of bitsandbytes' `PytorchLARS`.
 *
 * @useDeclaredType
 */
export type BitsandbytesKwargs = z.input<typeof bitsandbytesKwargs>;

/** What no peer has: warmup, schedule and bias exclusion are off in every preset. */
const PEER_NEUTRAL: LARSOptimizerOptionsInput = {
  warmupEpochs: 0,
  learningRateSchedule: 'constant',
  excludeBiasFromLARS: false,
};

/** Options that reproduce timm's `Lars` (torch momentum, adapt only with weight decay unless always_adapt). */
export function timm(kwargs: TimmKwargs = {}, overrides: LARSOptimizerOptionsInput = {}): LARSOptimizerOptions {
  const k = parseOptions(timmKwargs, kwargs, 'presets.timm keyword arguments');
  return new LARSOptimizerOptions({
    ...PEER_NEUTRAL,
    ...common(k),
    trustCoefficient: k.trust_coeff,
    epsilon: k.eps,
    rule: { ...TIMM_RULE, adaptWhen: k.always_adapt ? 'always' : TIMM_RULE.adaptWhen, trustClip: k.trust_clip },
    ...overrides,
  });
}

/** Options that reproduce Lightning Bolts' `LARS` (plain gradient without weight decay or on zero norms). */
export function bolts(kwargs: BoltsKwargs, overrides: LARSOptimizerOptionsInput = {}): LARSOptimizerOptions {
  const k = parseOptions(boltsKwargs, kwargs, 'presets.bolts keyword arguments');
  return new LARSOptimizerOptions({
    ...PEER_NEUTRAL,
    ...common(k),
    trustCoefficient: k.trust_coefficient,
    epsilon: k.eps,
    rule: BOLTS_RULE,
    ...overrides,
  });
}

/**
 * Options that reproduce bitsandbytes' `PytorchLARS` (no trust ratio, update-norm
 * clip). Unlike PytorchLARS, momentum 0 works: the step is the decayed gradient.
 */
export function bitsandbytes(kwargs: BitsandbytesKwargs = {}, overrides: LARSOptimizerOptionsInput = {}): LARSOptimizerOptions {
  const k = parseOptions(bitsandbytesKwargs, kwargs, 'presets.bitsandbytes keyword arguments');
  return new LARSOptimizerOptions({
    ...PEER_NEUTRAL,
    ...common(k),
    maxUnorm: k.max_unorm,
    rule: BITSANDBYTES_RULE,
    ...overrides,
  });
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
