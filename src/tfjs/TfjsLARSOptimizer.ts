import {
  Optimizer,
  scalar,
  serialization,
  stack,
  tensor2d,
  tidy,
  variable,
  zerosLike,
  type NamedTensorMap,
  type Tensor,
  type Variable,
} from '@tensorflow/tfjs-core';
import type { LayerCoefficients } from '../core/LayerCoefficients.js';
import { OptimizerInputError } from '../core/OptimizerInputError.js';
import { checkStepsPerEpoch, learningRateAt, scheduleFor } from '../optimizers/learningRateSchedule.js';
import { PERCENTILE_HISTORY, PercentileClipper } from '../optimizers/PercentileClipper.js';
import { clipUpdateNorms, computeStepCoefficients } from '../optimizers/stepCoefficients.js';
import { ScheduleWarnings, type ScheduleWarningText } from '../optimizers/scheduleWarnings.js';
import { LARSOptimizerOptions, type LARSOptimizerOptionsInput } from '../options/LARSOptimizerOptions.js';
import { OptionsValidationError } from '../options/OptionsValidationError.js';
import { escapeConfigStrings, unescapeConfigStrings } from './configStrings.js';
import type { NamedTensor } from './NamedTensor.js';
import { MOMENTUM_SUFFIX, parseWeights, PERCENTILE_HISTORY_WEIGHT, STEPS_PER_EPOCH_WEIGHT } from './optimizerWeights.js';
import { checkFiniteNorms, collectEntries, readSquaredNorms, sameShape, sumOfSquares, type StepEntry } from './stepInputs.js';
import { layerUpdateTensors, steppedWeights } from './layerUpdateOps.js';
import {
  variableLayers,
  withoutUniqueSuffix,
  type VariableDescription,
  type VariableKindRule,
  type VariableLayer,
  type VariableNameSelection,
} from './variableLayers.js';

/**
 * The name the adapter registers under with `tf.serialization.registerClass`; a saved model's `optimizer_config.class_name`.
 *
 * @category TensorFlow.js
 */
export const TFJS_LARS_CLASS_NAME = 'LarsTs.LARS';
/**
 * Wiring of a {@link TfjsLARSOptimizer} that is not a LARS option.
 *
 * @category TensorFlow.js
 */
export interface TfjsLARSSetup {
  /**
   * Variables that use ratio 1 (plain momentum SGD) but keep weight decay,
   * by name: a list of exact names or a RegExp. Unlike `skipLARSLayers`
   * (positions), names stay right when a layer is inserted. A listed name
   * also matches a variable whose name differs only by tfjs-layers'
   * uniquifying `_N` suffix (`dense/kernel` matches `dense/kernel_1`). Default null.
   */
  readonly skipLayerNames?: VariableNameSelection | null;
  /**
   * Overrides a variable's kind from its name and shape (return undefined to
   * keep the default: rank ≤ 1 is a bias/norm variable). Not saved with the
   * model. Default null.
   */
  readonly kindOf?: VariableKindRule | null;
  /** Where warnings go. Default `console.warn` with a `lars-ts:` prefix. */
  readonly onWarning?: (message: string) => void;
}

/** The adapter's wording of the schedule warnings: steps per epoch come from the options or {@link LARSScheduleCallback}. */
const TFJS_SCHEDULE_TEXT: ScheduleWarningText = {
  noStepsPerEpoch: (asked, o) =>
    `TfjsLARSOptimizer: ${asked.join(' and ')} count steps, but steps per epoch are unknown, so the learning rate stays at ` +
    `${o.initialLearningRate} (no warmup, no decay). Pass stepsPerEpoch in the options, or add ` +
    `new LARSScheduleCallback(optimizer) to model.fit's callbacks.`,
  pastEnd: (step, total, stepsPerEpoch, o) =>
    `TfjsLARSOptimizer: the '${o.learningRateSchedule}' schedule ended at step ${total} (maxIterations ${o.maxIterations} × ` +
    `${stepsPerEpoch} steps per epoch); from step ${step} on the rate rests at minLearningRate ${o.minLearningRate}. ` +
    'Set maxIterations to the number of epochs you train.',
};

/**
 * LARS for TensorFlow.js: a tfjs-core `Optimizer` that applies the same
 * per-layer rule as lars-ts' `LARSOptimizer`, with each tfjs variable
 * as one layer. Use it in `model.compile({ optimizer })` or with
 * `optimizer.minimize(...)`.
 *
 * - The per-layer numbers come from the core's pure functions
 *   (`computeStepCoefficients`); the element-wise update runs as tfjs
 *   ops on the active backend, and each step reads back one small tensor of
 *   squared norms (two with `maxUnorm`).
 * - Momentum lives in tfjs variables keyed by the variable's name
 *   (`<name>/lars_momentum` in {@link getWeights}).
 * - Variables of rank ≤ 1 are bias/norm variables (`excludeBiasFromLARS`).
 * - Warmup and schedules count steps: give `stepsPerEpoch` in the options or
 *   add {@link LARSScheduleCallback} to `fit`; else it warns once and runs at
 *   the constant initial rate.
 * - 8-bit state and `layerBoundaries` are refused.
 *
 * @example
 * ```ts
 * model.compile({ optimizer: new TfjsLARSOptimizer(presets.timm({ lr: 0.1, weight_decay: 1e-4, momentum: 0.9 })), loss: 'categoricalCrossentropy' });
 * ```
 *
 * @category TensorFlow.js
 */
export class TfjsLARSOptimizer extends Optimizer {
  /** The fixed registered class name (not the minifiable constructor name). */
  static get className(): string {
    return TFJS_LARS_CLASS_NAME;
  }

  /**
   * `instanceof` by prototype chain. tfjs-core gives `Optimizer` a duck-typed
   * `instanceof` (any object with minimize, computeGradients and
   * applyGradients) that subclasses would inherit, making every tfjs
   * optimizer look like this one.
   */
  static override [Symbol.hasInstance](instance: unknown): boolean {
    return Function.prototype[Symbol.hasInstance].call(this, instance);
  }

  /** The validated, frozen options. */
  readonly options: LARSOptimizerOptions;
  /** Variables skipped by name, or null. */
  readonly skipLayerNames: VariableNameSelection | null;

  private readonly kindOf: VariableKindRule | null;
  private readonly scheduleWarnings: ScheduleWarnings;
  /** Momentum buffers by key (the model weight's name). */
  private readonly momentum = new Map<string, Variable>();
  /** Keys of buffers loaded by setWeights that no variable has claimed yet. */
  private readonly unclaimed = new Set<string>();
  /** Engine name → key, from {@link adoptVariableNames} and from claims of loaded buffers. */
  private readonly keyOfEngineName = new Map<string, string>();
  /** Engine names whose key came from {@link adoptVariableNames} (kept when weights are loaded). */
  private readonly adopted = new Set<string>();
  private clipper: PercentileClipper | null = null;
  private layerCache: { readonly signature: string; readonly layers: VariableLayer[] } | null = null;
  private stepsPerEpochOverride: number | null = null;
  private disposed = false;

  /**
   * @param options - a {@link LARSOptimizerOptions} (a preset's result serves) or a plain partial object. Default: all defaults.
   * @param setup - skip by name, kind override, warning sink.
   * @throws {@link OptionsValidationError} for invalid options, 8-bit state or `layerBoundaries`.
   */
  constructor(options: LARSOptimizerOptions | LARSOptimizerOptionsInput = {}, setup: TfjsLARSSetup = {}) {
    super();
    const o = options instanceof LARSOptimizerOptions ? options : new LARSOptimizerOptions(options);
    refuseUnsupported(o);
    this.options = o;
    this.skipLayerNames = setup.skipLayerNames ?? null;
    if (this.skipLayerNames !== null && !(this.skipLayerNames instanceof RegExp) && !isStringList(this.skipLayerNames)) {
      throw new TypeError('skipLayerNames must be a list of variable names or a RegExp');
    }
    this.kindOf = setup.kindOf ?? null;
    this.scheduleWarnings = new ScheduleWarnings(setup.onWarning ?? ((message: string) => console.warn(`lars-ts: ${message}`)), TFJS_SCHEDULE_TEXT);
    this.iterations_ = 0;
  }

  /** Steps per epoch for warmup and schedule: the `fit` callback's, else `options.stepsPerEpoch`, else null. */
  get stepsPerEpoch(): number | null {
    return this.stepsPerEpochOverride ?? this.options.stepsPerEpoch;
  }

  /** Tells the schedule how many steps make an epoch ({@link LARSScheduleCallback} calls it). Null forgets it. */
  setStepsPerEpoch(steps: number | null): void {
    this.assertUsable('setStepsPerEpoch');
    checkStepsPerEpoch(steps);
    this.stepsPerEpochOverride = steps;
  }

  /** The learning rate of 1-based step `step` under warmup and schedule (the core's {@link learningRateAt}). */
  learningRateAt(step: number): number {
    return learningRateAt(step, scheduleFor(this.options, this.stepsPerEpoch));
  }

  /** The learning rate the next step will use. */
  get currentLearningRate(): number {
    return this.learningRateAt(this.iterations + 1);
  }

  /**
   * Keys momentum by each model weight's own name (tfjs-layers' `originalName`)
   * rather than the engine's, which gains a `_1` suffix when a model with the
   * same layer names already exists. {@link LARSScheduleCallback} calls it
   * with `model.trainableWeights`.
   */
  adoptVariableNames(weights: readonly { readonly name: string; readonly originalName: string }[]): void {
    this.assertUsable('adoptVariableNames');
    for (const w of weights) {
      if (typeof w?.name !== 'string' || typeof w.originalName !== 'string') {
        throw new TypeError('adoptVariableNames needs objects with string name and originalName (tfjs-layers LayerVariables)');
      }
    }
    for (const w of weights) {
      const old = this.keyOfEngineName.get(w.name) ?? w.name;
      const buffer = this.momentum.get(old);
      if (old !== w.originalName && buffer !== undefined && !this.momentum.has(w.originalName) && !this.unclaimed.has(old)) {
        this.momentum.delete(old);
        this.momentum.set(w.originalName, buffer);
      }
      this.keyOfEngineName.set(w.name, w.originalName);
      this.adopted.add(w.name);
    }
    this.layerCache = null;
  }

  /**
   * One LARS step on the given variables' gradients (keyed by variable name),
   * in place on the variables. tfjs' `minimize` and `model.fit` call it.
   *
   * @throws {@link OptimizerInputError} on NaN/±Infinity in a gradient or a
   * variable, a gradient of another shape or type, or a skip list that does
   * not fit. Nothing changes when it throws.
   */
  override applyGradients(variableGradients: NamedTensorMap | NamedTensor[]): void {
    this.assertUsable('applyGradients');
    const entries = collectEntries(variableGradients);
    if (entries.length === 0) return;
    const keys = this.resolveKeys(entries);
    const layers = this.layersFor(entries, keys);
    const norms = readSquaredNorms(entries);
    checkFiniteNorms(layers, norms);
    const o = this.options;
    const stepNumber = this.iterations + 1;
    this.scheduleWarnings.check(stepNumber, o, this.stepsPerEpoch);
    const clipper = o.percentileClipping < 100 ? this.clipperFor(layers.length) : null;
    const { coefficients, clippedGradientSq } = computeStepCoefficients({
      layers,
      squaredNorms: norms,
      maxGradientNorm: o.useGradientClipping ? o.maxGradientNorm : null,
      percentileClipper: clipper,
      stepNumber,
      hyper: {
        learningRate: this.learningRateAt(stepNumber),
        weightDecay: o.weightDecay,
        trustCoefficient: o.trustCoefficient,
        epsilon: o.epsilon,
        momentum: o.momentum,
        dampening: o.dampening,
        nesterov: o.useNesterov,
        rule: o.rule,
        firstStep: this.iterations === 0,
      },
    });
    const buffers = o.momentum === 0 ? null : entries.map((e, i) => this.bufferFor(keys[i], e));
    if (o.maxUnorm > 0) this.applyClipped(entries, buffers, coefficients, norms);
    else applyDirect(entries, buffers, coefficients);
    clipper?.commit(clippedGradientSq, stepNumber);
    this.incrementIterations();
  }

  /** Frees the momentum variables; afterwards every method throws. */
  override dispose(): void {
    if (this.disposed) return;
    for (const v of this.momentum.values()) v.dispose();
    this.momentum.clear();
    this.unclaimed.clear();
    this.disposed = true;
  }

  /**
   * The state as named tensors: `iter` (int32 step count) first, as tfjs
   * expects, then steps per epoch learned from `fit` and the percentile
   * history when there are any, then one `<name>/lars_momentum` per variable.
   * The momentum tensors are the optimizer's own variables: do not dispose them.
   */
  override async getWeights(): Promise<NamedTensor[]> {
    this.assertUsable('getWeights');
    const out: NamedTensor[] = [await this.saveIterations()];
    if (this.stepsPerEpochOverride !== null) {
      out.push({ name: STEPS_PER_EPOCH_WEIGHT, tensor: scalar(this.stepsPerEpochOverride, 'int32') });
    }
    if (this.clipper !== null) {
      const bits = new Int32Array(this.clipper.history.slice().buffer);
      out.push({ name: PERCENTILE_HISTORY_WEIGHT, tensor: tensor2d(bits, [this.clipper.layers, 2 * PERCENTILE_HISTORY], 'int32') });
    }
    for (const [key, v] of this.momentum) out.push({ name: `${key}${MOMENTUM_SUFFIX}`, tensor: v });
    return out;
  }

  /**
   * Restores what {@link getWeights} returned (also from a model saved with
   * `includeOptimizer: true`). Momentum is matched to variables by name at
   * the next step. Everything is checked before anything changes.
   *
   * @throws {@link OptimizerInputError} (`invalid-state`) when the weights do not fit this optimizer.
   */
  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    this.assertUsable('setWeights');
    const parsed = await parseWeights(weightValues, this.options);
    for (const v of this.momentum.values()) v.dispose();
    this.momentum.clear();
    this.unclaimed.clear();
    for (const [engineName, key] of [...this.keyOfEngineName]) if (engineName !== key && !this.adopted.has(engineName)) this.keyOfEngineName.delete(engineName);
    for (const [key, tensor] of parsed.momentum) {
      this.momentum.set(key, variable(tensor, false));
      this.unclaimed.add(key);
    }
    this.iterations_ = parsed.iterations;
    this.stepsPerEpochOverride = parsed.stepsPerEpoch;
    this.clipper =
      parsed.history === null ? null : new PercentileClipper(this.options.percentileClipping, parsed.history.length / PERCENTILE_HISTORY, parsed.history);
    this.layerCache = null;
  }

  /** The options as JSON plus the name-based skip list, with strings escaped against tfjs-layers' camelCase rewrite. */
  override getConfig(): serialization.ConfigDict {
    this.assertUsable('getConfig');
    const names = this.skipLayerNames;
    return escapeConfigStrings({
      options: this.options.toJSON() as unknown as serialization.ConfigDict,
      skipLayerNames: names === null ? null : names instanceof RegExp ? null : [...names],
      skipLayerPattern: names instanceof RegExp ? { source: names.source, flags: names.flags } : null,
    });
  }

  /** Rebuilds an optimizer from {@link getConfig}'s output (tfjs' deserializer calls it). */
  static override fromConfig<T extends serialization.Serializable>(
    cls: serialization.SerializableConstructor<T>,
    config: serialization.ConfigDict,
  ): T {
    const c = unescapeConfigStrings(config) as {
      options?: LARSOptimizerOptionsInput;
      skipLayerNames?: string[] | null;
      skipLayerPattern?: { source: string; flags: string } | null;
    };
    const pattern = c.skipLayerPattern;
    const skipLayerNames = pattern != null ? new RegExp(pattern.source, pattern.flags) : (c.skipLayerNames ?? null);
    return new cls(LARSOptimizerOptions.fromJSON(c.options ?? {}), { skipLayerNames });
  }

  private assertUsable(method: string): void {
    if (this.disposed) throw new Error(`TfjsLARSOptimizer.${method}: this optimizer was disposed; create a new one`);
  }

  /**
   * Each entry's momentum key. A buffer keyed by the entry's own name wins;
   * else a loaded, unclaimed buffer whose name equals the entry's up to
   * tfjs-layers' uniquifying `_N` suffix (and whose shape matches) is claimed,
   * the first such buffer in saved order for the first such entry.
   */
  private resolveKeys(entries: readonly StepEntry[]): string[] {
    const keys = entries.map((e) => this.keyOfEngineName.get(e.engineName) ?? e.engineName);
    if (this.unclaimed.size === 0) return keys;
    const taken = new Set(keys.filter((k) => this.momentum.has(k)));
    const pool = [...this.unclaimed];
    return keys.map((key, i) => {
      if (this.momentum.has(key)) return key;
      const base = withoutUniqueSuffix(key);
      const match = pool.find(
        (k) => !taken.has(k) && withoutUniqueSuffix(k) === base && sameShape(this.momentum.get(k)!.shape, entries[i].variable.shape),
      );
      if (match === undefined) return key;
      taken.add(match);
      return match;
    });
  }

  private layersFor(entries: readonly StepEntry[], keys: readonly string[]): VariableLayer[] {
    const signature = entries.map((e, i) => `${e.engineName}\u0000${keys[i]}\u0000${e.variable.shape.join(',')}`).join('\u0001');
    if (this.layerCache?.signature === signature) return this.layerCache.layers;
    const described: VariableDescription[] = entries.map((e, i) => ({ key: keys[i], engineName: e.engineName, shape: e.variable.shape }));
    entries.forEach((e, i) => {
      const buffer = this.momentum.get(keys[i]);
      if (buffer !== undefined && !sameShape(buffer.shape, e.variable.shape)) {
        throw new OptimizerInputError(
          'invalid-state',
          `the momentum of ${keys[i]} has shape [${buffer.shape.join(', ')}], but the variable has shape [${e.variable.shape.join(', ')}]`,
        );
      }
    });
    const layers = variableLayers(described, {
      excludeBiasFromLARS: this.options.excludeBiasFromLARS,
      skipLARSLayers: this.options.skipLARSLayers,
      skipLayerNames: this.skipLayerNames,
      kindOf: this.kindOf,
    });
    this.layerCache = { signature, layers };
    return layers;
  }

  private clipperFor(layers: number): PercentileClipper {
    if (this.clipper === null || this.clipper.layers !== layers) {
      this.clipper = new PercentileClipper(this.options.percentileClipping, layers);
    }
    return this.clipper;
  }

  /** The momentum buffer of `key` (claiming a loaded one, or a new zero buffer). */
  private bufferFor(key: string, entry: StepEntry): Variable {
    let buffer = this.momentum.get(key);
    if (buffer === undefined) {
      buffer = tidy(() => variable(zerosLike(entry.variable), false));
      this.momentum.set(key, buffer);
    }
    if (this.unclaimed.delete(key) && key !== entry.engineName) this.keyOfEngineName.set(entry.engineName, key);
    return buffer;
  }

  /** With maxUnorm: form the updates, read their norms (a second readback), clip, then write. */
  private applyClipped(
    entries: readonly StepEntry[],
    buffers: readonly Variable[] | null,
    c: LayerCoefficients,
    norms: Float64Array,
  ): void {
    const formed: { buffer: Tensor | null; update: Tensor }[] = [];
    const flat = tidy(() =>
      entries.flatMap((e, l) => {
        const f = layerUpdateTensors(c, l, e.variable, e.gradient, buffers?.[l] ?? null);
        return f.buffer === null ? [f.update] : [f.update, f.buffer];
      }),
    );
    let at = 0;
    for (let l = 0; l < entries.length; l++) {
      const update = flat[at++];
      formed.push({ update, buffer: buffers === null ? null : flat[at++] });
    }
    try {
      const packed = tidy(() => stack(formed.map((f) => sumOfSquares(f.update))));
      const updateSq = packed.dataSync();
      packed.dispose();
      clipUpdateNorms(c, updateSq, norms, this.options.maxUnorm);
      tidy(() => {
        entries.forEach((e, l) => {
          const { buffer, update } = formed[l];
          if (buffer !== null) buffers![l].assign(buffer);
          e.variable.assign(steppedWeights(c, l, e.variable, update));
        });
      });
    } finally {
      for (const f of formed) {
        f.update.dispose();
        f.buffer?.dispose();
      }
    }
  }
}

serialization.registerClass(TfjsLARSOptimizer);

function refuseUnsupported(o: LARSOptimizerOptions): void {
  const problems = [];
  if (o.optimBits !== 32) {
    problems.push({
      path: 'optimBits',
      message:
        'TfjsLARSOptimizer keeps 32-bit momentum only; use optimBits: 32, or step a flat vector with the core LARSOptimizer for 8-bit state',
    });
  }
  if (o.layerBoundaries !== null) {
    problems.push({
      path: 'layerBoundaries',
      message: 'TfjsLARSOptimizer makes each tfjs variable one layer; leave layerBoundaries null (skip layers with skipLARSLayers or skipLayerNames)',
    });
  }
  if (problems.length > 0) throw new OptionsValidationError('TfjsLARSOptimizer options', problems, []);
}

function isStringList(value: unknown): value is readonly string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

function applyDirect(entries: readonly StepEntry[], buffers: readonly Variable[] | null, c: LayerCoefficients): void {
  tidy(() => {
    entries.forEach((e, l) => {
      const buf = buffers?.[l] ?? null;
      const { buffer, update } = layerUpdateTensors(c, l, e.variable, e.gradient, buf);
      const next = steppedWeights(c, l, e.variable, update);
      if (buffer !== null) buf!.assign(buffer);
      e.variable.assign(next);
    });
  });
}

