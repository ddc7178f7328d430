import { z } from 'zod';
import { flag, integerAtLeast, nonNegativeNumber, oneOf, positiveNumber } from './fieldRules.js';
import { givenFields } from './givenFields.js';
import { OptionsValidationError } from './OptionsValidationError.js';
import { parseOptions } from './parseOptions.js';

/**
 * The learning-rate schedules available after warmup.
 *
 * @category Options
 */
export const LEARNING_RATE_SCHEDULES = ['constant', 'polynomial', 'cosine'] as const;

/**
 * The learning-rate schedule after warmup.
 * - `'constant'`: stays at the initial learning rate.
 * - `'polynomial'`: lr·(1 − t/T)^power + min·(…), decaying to `minLearningRate` (power 2 in the LARS paper).
 * - `'cosine'`: half a cosine from the initial learning rate down to `minLearningRate`.
 *
 * @category Options
 */
export type LearningRateSchedule = (typeof LEARNING_RATE_SCHEDULES)[number];

/**
 * The fields of the base options level, as a zod object shape. Every field
 * here is inherited by {@link GradientBasedOptimizerOptions} and
 * {@link LARSOptimizerOptions}.
 *
 * @category Options
 */
export const optimizationAlgorithmShape = z.strictObject({
  /** Number of epochs (passes over the training data) to run at most. Default 100. */
  maxIterations: integerAtLeast(1).default(100),
  /** Stop when the validation loss has not improved for `earlyStoppingPatience` epochs. Default true. */
  useEarlyStopping: flag().default(true),
  /** Epochs without improvement in validation loss to wait before stopping early. Default 10. */
  earlyStoppingPatience: integerAtLeast(1).default(10),
  /** The least drop in validation loss that counts as an improvement. Default 1e-6. */
  tolerance: nonNegativeNumber().default(1e-6),
  /** The base learning rate, reached at the end of warmup. Default 0.01 (LARS: 0.3). */
  initialLearningRate: positiveNumber().default(0.01),
  /** The floor that decaying schedules approach at the end of training. Default 0. */
  minLearningRate: nonNegativeNumber().default(0),
  /** The learning-rate schedule after warmup: constant, polynomial or cosine. Default `'constant'` (LARS: `'polynomial'`). */
  learningRateSchedule: oneOf(LEARNING_RATE_SCHEDULES).default('constant'),
  /** The power of the polynomial schedule; 2 is the LARS paper's choice. Default 2. */
  polynomialPower: positiveNumber().default(2),
  /** Optimizer steps in one epoch, for users who step by hand; the training loop fills it in. Default null (unknown). */
  stepsPerEpoch: integerAtLeast(1).nullable().default(null),
  /** Seed for shuffling and initialization, so that runs repeat exactly. Default 42. */
  seed: z.number({ error: 'must be an integer' }).int({ error: 'must be an integer' }).default(42),
  /** Shuffle the training data at the start of every epoch. Default true. */
  shuffleData: flag().default(true),
  /** Drop the last mini-batch of an epoch when it is smaller than `batchSize`. Default false. */
  dropLastBatch: flag().default(false),
});

/** Raw values of a cross-field check: what every level's refinement sees. */
type BaseValues = z.output<typeof optimizationAlgorithmShape>;

/**
 * Cross-field rules of the base level; later levels call it from their own check.
 *
 * @category Options
 */
export function checkOptimizationAlgorithmRules(value: BaseValues, issues: z.core.$ZodRawIssue[]): void {
  if (value.minLearningRate > value.initialLearningRate) {
    issues.push({
      code: 'custom',
      input: value,
      path: ['minLearningRate'],
      message: `must not exceed initialLearningRate (${value.initialLearningRate})`,
    });
  }
}

const schema = optimizationAlgorithmShape.check((ctx) => checkOptimizationAlgorithmRules(ctx.value, ctx.issues));

/**
 * What a user may pass to `new OptimizationAlgorithmOptions(...)`: every field optional.
 *
 * @useDeclaredType
 *
 * @category Options
 */
export type OptimizationAlgorithmOptionsInput = z.input<typeof schema>;
/**
 * The validated values of {@link OptimizationAlgorithmOptions}, defaults filled in.
 *
 * @useDeclaredType
 *
 * @category Options
 */
export type OptimizationAlgorithmOptionsValues = z.output<typeof schema>;

/**
 * The full zod schema of {@link OptimizationAlgorithmOptions}: fields, defaults and cross-field rules.
 *
 * @category Options
 */
export const optimizationAlgorithmSchema: z.ZodType<OptimizationAlgorithmOptionsValues, OptimizationAlgorithmOptionsInput> = schema;

/**
 * A class that builds options from a plain partial object, as every options level does.
 *
 * @category Options
 */
export interface OptionsClass<O, I> {
  new (input?: I): O;
  /** The zod schema the class validates with. */
  readonly schema: z.ZodType;
}

export interface OptimizationAlgorithmOptions extends Readonly<OptimizationAlgorithmOptionsValues> {
  /** A copy of these options with `changes` applied, validated again; a field set to `undefined` keeps its value. */
  with(changes: OptimizationAlgorithmOptionsInput): OptimizationAlgorithmOptions;
  /** The options as a plain JSON-safe object; `new Class(json)` or `Class.fromJSON(json)` rebuilds them. */
  toJSON(): OptimizationAlgorithmOptionsValues;
}

/**
 * Options shared by every optimization algorithm: the epoch budget, early
 * stopping, the learning-rate schedule, and how the data is shuffled and split
 * into batches.
 *
 * Build it from a plain partial object: defaults fill the rest, everything is
 * validated at once (an {@link OptionsValidationError} lists every problem),
 * and the result is frozen. Derive variants with `.with({...})`.
 *
 * @example
 * ```ts
 * const opts = new OptimizationAlgorithmOptions({ maxIterations: 20 });
 * const longer = opts.with({ maxIterations: 50 });
 * ```
 *
 * @category Options
 */
export class OptimizationAlgorithmOptions {
  /** The zod schema this class validates with; subclasses replace it with their own. */
  static readonly schema: z.ZodType = optimizationAlgorithmSchema;

  /**
   * Validates `input`, fills the defaults and freezes the result.
   *
   * @throws {@link OptionsValidationError} listing every problem, each naming its field and rule.
   */
  constructor(input: OptimizationAlgorithmOptionsInput = {}) {
    const cls = new.target as unknown as { schema: z.ZodType; name: string };
    Object.assign(this, deepFreeze(parseOptions(cls.schema, input, cls.name)));
    Object.freeze(this);
  }

  /**
   * Rebuilds options from `toJSON()` output or its JSON text.
   *
   * @throws {@link OptionsValidationError} when the text is not JSON, when it
   * (or `json`) is not an object (`null`, a number, an array), or when a field is invalid.
   */
  static fromJSON<O, I>(this: OptionsClass<O, I>, json: string | I): O {
    const name = (this as unknown as { name: string }).name;
    let value: unknown = json;
    if (typeof json === 'string') {
      try {
        value = JSON.parse(json);
      } catch (error) {
        throw new OptionsValidationError(name, [{ path: '', message: `fromJSON needs JSON text or an object; the text is not valid JSON (${(error as Error).message})` }], []);
      }
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
      throw new OptionsValidationError(name, [{ path: '', message: `fromJSON needs an object of options, got ${got}` }], []);
    }
    return new this(value as I);
  }

  /** A JSON Schema (draft 2020-12) of the accepted input, for config files and editors. */
  static jsonSchema(this: { schema: z.ZodType }): Record<string, unknown> {
    return z.toJSONSchema(this.schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  }

  with(changes: OptimizationAlgorithmOptionsInput): OptimizationAlgorithmOptions {
    const cls = this.constructor as new (input: unknown) => OptimizationAlgorithmOptions;
    // A field set to undefined in `changes` is not given: it keeps its value here.
    return new cls({ ...this.toJSON(), ...(givenFields(changes ?? {}) as object) });
  }

  toJSON(): OptimizationAlgorithmOptionsValues {
    return structuredClone({ ...this }) as OptimizationAlgorithmOptionsValues;
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}
