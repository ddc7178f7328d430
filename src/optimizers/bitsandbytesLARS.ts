import type { FullModel } from '../models/FullModel.js';
import type { ParameterLayout } from '../models/ParameterLayout.js';
import type { NumericType } from '../numeric/NumericType.js';
import type { LARSOptimizerOptions, LARSOptimizerOptionsInput } from '../options/LARSOptimizerOptions.js';
import { OptionsValidationError } from '../options/OptionsValidationError.js';
import { bitsandbytesLars, type BitsandbytesLarsKwargs } from '../options/presets.js';
import type { OptimizerSetup } from './GradientBasedOptimizer.js';
import { LARSOptimizer } from './LARSOptimizer.js';

/**
 * What bitsandbytes calls `params`: a model, the parameter layout of a flat vector, or null (one layer).
 *
 * @category Optimizers
 */
export type BitsandbytesParams<T extends NumericType, TInput, TOutput> =
  | FullModel<T, TInput, TOutput>
  | ParameterLayout
  | null;

/**
 * Keyword arguments of {@link LARS8bit} and {@link LARS32bit}: those of {@link LARS}, `optim_bits` fixed by the class.
 *
 * @category Optimizers
 */
export type FixedBitsKwargs = Omit<BitsandbytesLarsKwargs, 'optim_bits'>;

function split<T extends NumericType, TInput, TOutput>(
  params: BitsandbytesParams<T, TInput, TOutput>,
  setup: OptimizerSetup,
): [FullModel<T, TInput, TOutput> | null, OptimizerSetup] {
  if (Array.isArray(params)) return [null, { ...setup, layout: params as ParameterLayout }];
  return [params as FullModel<T, TInput, TOutput> | null, setup];
}

function fixedBits(kwargs: FixedBitsKwargs, overrides: LARSOptimizerOptionsInput, bits: 8 | 32, cls: string): LARSOptimizerOptions {
  const given = (kwargs as { optim_bits?: unknown }).optim_bits ?? kwargs.args?.optim_bits ?? overrides.optimBits;
  if (given !== undefined && given !== bits) {
    const other = bits === 8 ? 'LARS32bit or LARS' : 'LARS8bit or LARS';
    throw new OptionsValidationError(cls, [{ path: 'optim_bits', message: `${cls} always keeps ${bits}-bit state (got ${String(given)}); use ${other}` }], []);
  }
  const { optim_bits: _drop, ...rest } = kwargs as BitsandbytesLarsKwargs;
  return bitsandbytesLars({ ...rest, optim_bits: bits }, { ...overrides, optimBits: bits });
}

/**
 * bitsandbytes' `LARS(params, lr, momentum=0, dampening=0, weight_decay=0,
 * nesterov=False, optim_bits=32, args=None, min_8bit_size=4096,
 * percentile_clipping=100, max_unorm=0.02)`, as a thin preset over
 * {@link LARSOptimizer}: momentum SGD with weight decay in the direction, no
 * trust ratio, and the per-layer update clipped to `max_unorm`·‖w‖.
 *
 * Unlike bitsandbytes, every knob works in every path: `nesterov` and
 * `dampening` apply, weight decay and `max_unorm` apply with 8-bit state, and
 * momentum 0 is allowed (the step is lr times the decayed gradient; there is
 * no state). `args`, when given, overrides `optim_bits`, `min_8bit_size`,
 * `percentile_clipping` and `max_unorm` field by field.
 *
 * @example
 * ```ts
 * const layout = [{ name: 'fc.weight', size: 8192, kind: 'weight' }, { name: 'fc.bias', size: 64, kind: 'bias' }] as const;
 * const opt = new LARS(layout, { lr: 0.1, momentum: 0.9, weight_decay: 1e-4, optim_bits: 8 });
 * opt.step(weights, gradient); // fc.weight keeps 8-bit momentum, fc.bias (< 4096) 32-bit
 * ```
 *
 * @category Optimizers
 */
export class LARS<T extends NumericType = NumericType, TInput = unknown, TOutput = unknown> extends LARSOptimizer<T, TInput, TOutput> {
  /**
   * @param params - a model, a parameter layout, or null (the vector is one layer).
   * @param kwargs - bitsandbytes' keyword arguments; `lr` is required.
   * @param overrides - lars-ts options applied last (e.g. `warmupEpochs`, `backend`). Default none.
   * @param setup - a backend instance, a warning sink. Default none.
   * @throws {@link OptionsValidationError} on a bad keyword (e.g. `optim_bits` not 8 or 32).
   */
  constructor(
    params: BitsandbytesParams<T, TInput, TOutput>,
    kwargs: BitsandbytesLarsKwargs,
    overrides: LARSOptimizerOptionsInput = {},
    setup: OptimizerSetup = {},
  ) {
    const [model, s] = split(params, setup);
    super(model, bitsandbytesLars(kwargs, overrides), s);
  }
}

/**
 * bitsandbytes' `LARS8bit`: {@link LARS} with 8-bit blockwise-quantized
 * momentum for layers of at least `min_8bit_size` elements (default 4096).
 * Asking it for 32-bit state (`optim_bits`, `args.optim_bits` or `optimBits`)
 * is an error.
 *
 * @category Optimizers
 */
export class LARS8bit<T extends NumericType = NumericType, TInput = unknown, TOutput = unknown> extends LARSOptimizer<T, TInput, TOutput> {
  /**
   * @param params - a model, a parameter layout, or null (the vector is one layer).
   * @param kwargs - bitsandbytes' keyword arguments without `optim_bits`; `lr` is required.
   * @param overrides - lars-ts options applied last. Default none.
   * @param setup - a backend instance, a warning sink. Default none.
   * @throws {@link OptionsValidationError} on a bad keyword or a request for 32-bit state.
   */
  constructor(params: BitsandbytesParams<T, TInput, TOutput>, kwargs: FixedBitsKwargs, overrides: LARSOptimizerOptionsInput = {}, setup: OptimizerSetup = {}) {
    const [model, s] = split(params, setup);
    super(model, fixedBits(kwargs, overrides, 8, 'LARS8bit'), s);
  }
}

/**
 * bitsandbytes' `LARS32bit`: {@link LARS} with full-precision momentum.
 * Asking it for 8-bit state is an error.
 *
 * @category Optimizers
 */
export class LARS32bit<T extends NumericType = NumericType, TInput = unknown, TOutput = unknown> extends LARSOptimizer<T, TInput, TOutput> {
  /**
   * @param params - a model, a parameter layout, or null (the vector is one layer).
   * @param kwargs - bitsandbytes' keyword arguments without `optim_bits`; `lr` is required.
   * @param overrides - lars-ts options applied last. Default none.
   * @param setup - a backend instance, a warning sink. Default none.
   * @throws {@link OptionsValidationError} on a bad keyword or a request for 8-bit state.
   */
  constructor(params: BitsandbytesParams<T, TInput, TOutput>, kwargs: FixedBitsKwargs, overrides: LARSOptimizerOptionsInput = {}, setup: OptimizerSetup = {}) {
    const [model, s] = split(params, setup);
    super(model, fixedBits(kwargs, overrides, 32, 'LARS32bit'), s);
  }
}
