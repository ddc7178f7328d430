import type { LayerPlan, LayerPlanOptions } from '../core/LayerPlan.js';
import { buildLayerPlan } from '../core/LayerPlan.js';
import type { BackendState, OptimizerBackend } from '../core/OptimizerBackend.js';
import { OptimizerInputError } from '../core/OptimizerInputError.js';
import { BackendChain } from '../backends/BackendChain.js';
import { CpuBackend } from '../backends/js/CpuBackend.js';
import { selectBackend } from '../backends/selectBackend.js';
import type { FullModel } from '../models/FullModel.js';
import type { VectorAllocator } from '../models/ModelStorage.js';
import type { ParameterLayout } from '../models/ParameterLayout.js';
import { describeValue, type NumericType } from '../numeric/NumericType.js';
import { Vector } from '../numeric/Vector.js';
import type { GradientBasedOptimizerOptions } from '../options/GradientBasedOptimizerOptions.js';
import type { LARSRule } from '../options/LARSRule.js';
import type { OptimizationResult, OptimizeControls, TrainingData } from '../training/OptimizationResult.js';
import type { TrainableOptimizer } from '../training/TrainableOptimizer.js';
import { trainModel } from '../training/trainModel.js';
import { checkStepsPerEpoch, learningRateAt, scheduleFor } from './learningRateSchedule.js';
import { PercentileClipper } from './PercentileClipper.js';
import { ScheduleWarnings } from './scheduleWarnings.js';
import { decodeSavedState, encodeMomentum, encodePercentileHistory, stateSettings } from './savedStateCodec.js';
import type { SavedOptimizerState, SavedStateSettings } from './SavedOptimizerState.js';
import { clipUpdateNorms, computeStepCoefficients, firstNonFiniteNorm } from './stepCoefficients.js';

/**
 * Optional wiring of an optimizer that is not an option: a layout, a backend, a warning sink.
 *
 * @category Optimizers
 */
export interface OptimizerSetup {
  /** The tensors of the flat vector, for users stepping by hand without a model. Default: the model's layout, if any. */
  readonly layout?: ParameterLayout | null;
  /** A backend instance to use instead of the one `options.backend` selects. */
  readonly backend?: OptimizerBackend;
  /** Where warnings go (backend fallbacks, lost worker threads, a schedule that cannot do what the options ask). Default `console.warn`. */
  readonly onWarning?: (message: string) => void;
}

/**
 * What a concrete optimizer tells the shared step machinery: how to split the
 * vector into layers and how each layer's update is formed.
 *
 * @category Optimizers
 */
export interface UpdateRuleSettings {
  /** The optimizer family, a fixed name recorded in saved states (e.g. `'lars'`); never a class name, which minifiers change. */
  readonly kind: string;
  /** Layer boundaries, skip list, exclusions and state width. */
  readonly plan: LayerPlanOptions;
  /** The rule record. */
  readonly rule: LARSRule;
  /** Trust coefficient η (unused when the rule has no trust ratio). */
  readonly trustCoefficient: number;
  /** ε of the trust ratio. */
  readonly epsilon: number;
  /** Update-norm clip (0 = off). */
  readonly maxUnorm: number;
  /** Percentile clipping p (100 = off). */
  readonly percentileClipping: number;
}

/**
 * The bookkeeping every gradient-based optimizer shares: step count, learning
 * rate schedule, gradient clipping, momentum state, backend choice and
 * fallback, input checks, and exact save/restore. The per-layer math lives in
 * pure functions (`writeLayerCoefficients`); the element loops live in
 * the backend. Subclasses only say which rule to apply.
 *
 * @typeParam T - numeric type of parameters and gradients.
 * @typeParam TInput - a batch of model inputs.
 * @typeParam TOutput - a batch of model outputs.
 * @typeParam O - the options class.
 *
 * @category Optimizers
 */
export abstract class GradientBasedOptimizer<
  T extends NumericType,
  TInput,
  TOutput,
  O extends GradientBasedOptimizerOptions = GradientBasedOptimizerOptions,
> implements TrainableOptimizer<T, TInput, TOutput> {
  /** The validated, frozen options. */
  readonly options: O;
  /** The model being trained, or null for an optimizer stepped by hand. */
  readonly model: FullModel<T, TInput, TOutput> | null;

  private readonly chain: BackendChain;
  private readonly layout: ParameterLayout | null;
  private plan: LayerPlan | null = null;
  private dtype: NumericType | null = null;
  private stepCount = 0;
  private clipper: PercentileClipper | null = null;
  private stepsPerEpochOverride: number | null = null;
  private disposed = false;
  private training = false;
  private readonly scheduleWarnings: ScheduleWarnings;

  protected constructor(model: FullModel<T, TInput, TOutput> | null, options: O, setup: OptimizerSetup = {}) {
    this.model = model;
    this.options = options;
    this.layout = setup.layout ?? null;
    const warn = setup.onWarning ?? ((message: string) => console.warn(`lars-ts: ${message}`));
    this.chain = new BackendChain(setup.backend ?? selectBackend(options.backend, options.cpuThreads), options.cpuThreads, warn);
    this.scheduleWarnings = new ScheduleWarnings(warn);
  }

  /** How the concrete optimizer forms its update. */
  protected abstract updateRuleSettings(): UpdateRuleSettings;

  /** The options this optimizer was built with. */
  getOptions(): O {
    return this.options;
  }

  /** Which backend runs the hot loops: `cpu`, `headlessgl`, `webgl2`, `webgpu`, … */
  get backendName(): string {
    this.assertUsable();
    return this.chain.backend.name;
  }

  /**
   * A zero vector of `length` elements for parameters or gradients, placed
   * where the backend computes (WebAssembly memory on the CPU), so that
   * {@link step} reads and writes it without copying. Write into its `data`
   * as into any typed array. Default: an ordinary `Vector.zeros` when the
   * backend has no memory of its own.
   */
  allocateVector<D extends NumericType = T>(length: number, dtype: D): Vector<D> {
    this.assertUsable();
    if (!Number.isInteger(length) || length < 0) throw new RangeError(`length must be a non-negative integer, got ${length}`);
    return this.chain.backend.allocateVector?.(length, dtype) ?? Vector.zeros(length, dtype);
  }

  /**
   * {@link allocateVector} as a stable function value, for
   * {@link FullModel.adoptStorage}: the same function for the optimizer's life.
   */
  readonly vectorAllocator: VectorAllocator = <D extends NumericType>(length: number, dtype: D): Vector<D> =>
    this.allocateVector(length, dtype);

  /**
   * Whether {@link allocateVector} places vectors in the backend's own memory
   * (WebAssembly memory), so that steps on them copy nothing. False for
   * backends that read ordinary arrays or copy to a device anyway.
   */
  get placesVectors(): boolean {
    const backend = this.chain.backend;
    return backend.allocateVector !== undefined && backend.placesVectors !== false;
  }

  /** Steps taken since construction or the last {@link reset}. */
  get iterations(): number {
    return this.stepCount;
  }

  /** The layer plan in use, or null before the first step. */
  get layerPlan(): LayerPlan | null {
    return this.plan;
  }

  /** Steps per epoch for warmup and schedule: the training loop's, else `options.stepsPerEpoch`, else null. */
  get stepsPerEpoch(): number | null {
    return this.stepsPerEpochOverride ?? this.options.stepsPerEpoch;
  }

  /** Tells the schedule how many steps make an epoch; the training loop calls it. Null forgets it. */
  setStepsPerEpoch(steps: number | null): void {
    this.assertUsable();
    checkStepsPerEpoch(steps);
    this.stepsPerEpochOverride = steps;
  }

  /** The learning rate of 1-based step `step` under warmup and schedule. */
  learningRateAt(step: number): number {
    return learningRateAt(step, scheduleFor(this.options, this.stepsPerEpoch));
  }

  /** The learning rate the next step will use. */
  get currentLearningRate(): number {
    return this.learningRateAt(this.stepCount + 1);
  }

  /** Bytes of memory the momentum state occupies (0 before the first step or with momentum 0). */
  stateBytes(): number {
    this.assertUsable();
    return this.chain.state?.bytes ?? 0;
  }

  /**
   * One optimizer step, in place: `parameters` is updated, the state advances.
   *
   * @throws {@link OptimizerInputError} on a length or dtype mismatch, a layout
   * that does not fit, or NaN/±Infinity in the gradient or parameters. Nothing
   * changes when it throws.
   */
  step(parameters: Vector<T>, gradient: Vector<T>): void {
    this.assertUsable();
    this.checkVectors(parameters, gradient);
    // Plan, clipper and a new state are committed only when the step succeeds.
    const plan = this.plan ?? this.buildPlan(parameters.length);
    const settings = this.updateRuleSettings();
    if (this.chain.wouldMove(parameters.dtype, plan)) {
      // Check the input on the JS loops first, so that a bad step never moves the backend.
      checkFiniteNorms(plan, new CpuBackend().layerNorms(plan, parameters, gradient));
      this.chain.fitFor(parameters.dtype, plan);
    }
    const norms = this.chain.run((b) => b.layerNorms(plan, parameters, gradient));
    checkFiniteNorms(plan, norms);

    const stepNumber = this.stepCount + 1;
    const o = this.options;
    this.scheduleWarnings.check(stepNumber, o, this.stepsPerEpoch);
    const clipper =
      this.clipper !== null && this.clipper.layers === plan.segments.length
        ? this.clipper
        : new PercentileClipper(settings.percentileClipping, plan.segments.length);
    const { coefficients, clippedGradientSq } = computeStepCoefficients({
      layers: plan.segments,
      squaredNorms: norms,
      maxGradientNorm: o.useGradientClipping ? o.maxGradientNorm : null,
      percentileClipper: clipper.active ? clipper : null,
      stepNumber,
      hyper: {
        learningRate: this.learningRateAt(stepNumber),
        weightDecay: o.weightDecay,
        trustCoefficient: settings.trustCoefficient,
        epsilon: settings.epsilon,
        momentum: o.momentum,
        dampening: o.dampening,
        nesterov: o.useNesterov,
        rule: settings.rule,
        firstStep: this.stepCount === 0,
      },
    });
    const created = this.ensureState(plan, parameters.dtype);
    try {
      if (settings.maxUnorm > 0) {
        const updateSq = this.chain.run((b) => b.updateNorms(plan, coefficients, parameters, gradient, this.chain.state));
        clipUpdateNorms(coefficients, updateSq, norms, settings.maxUnorm);
      }
      this.chain.run((b) => b.applyUpdate(plan, coefficients, parameters, gradient, this.chain.state));
    } catch (error) {
      if (created) this.chain.replaceState(null, null);
      throw error;
    }
    clipper.commit(clippedGradientSq, stepNumber);
    this.clipper = clipper;
    this.plan = plan;
    this.stepCount = stepNumber;
    this.dtype = parameters.dtype;
  }

  /**
   * Trains {@link model} on `data` with mini-batches, warmup, schedule, early
   * stopping, progress and abort, and leaves the best parameters on the model.
   * See {@link trainModel} for the details.
   */
  async optimize(data: TrainingData<TInput, TOutput>, controls: OptimizeControls = {}): Promise<OptimizationResult> {
    this.assertUsable();
    if (this.training) {
      throw new OptimizerInputError('busy', 'optimize() is already running on this optimizer; await it (or abort it) before starting another');
    }
    this.training = true;
    try {
      return await trainModel(this, data, controls);
    } finally {
      this.training = false;
    }
  }

  /**
   * One optimizer step that leaves `parameters` alone and returns the updated
   * copy. The optimizer's state advances as with {@link step}.
   */
  updateParameters<D extends T>(parameters: Vector<D>, gradient: Vector<D>): Vector<D> {
    this.assertUsable();
    this.checkVectors(parameters, gradient);
    const out = parameters.clone();
    this.step(out, gradient);
    return out;
  }

  /** Forgets all state: step count, momentum, clipping history, plan. Options and backend stay. */
  reset(): void {
    this.assertUsable();
    this.chain.replaceState(null, null);
    this.plan = null;
    this.dtype = null;
    this.stepCount = 0;
    this.clipper = null;
  }

  /**
   * Frees the backend's resources (device memory, worker threads). Afterwards
   * every method throws; calling `dispose()` again does nothing.
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.chain.dispose();
  }


  /** The state as plain JSON: restore it into an optimizer with the same options to continue bit for bit. */
  saveState(): SavedOptimizerState {
    this.assertUsable();
    const snapshot = this.chain.run(() => this.chain.state?.snapshot() ?? null);
    return {
      format: 'lars-ts.optimizer-state',
      version: 2,
      optimizer: this.updateRuleSettings().kind,
      settings: this.stateSettingsFor(this.plan),
      stepCount: this.stepCount,
      stepsPerEpoch: this.stepsPerEpochOverride,
      dtype: this.dtype,
      length: this.plan?.length ?? null,
      momentum: snapshot === null ? null : encodeMomentum(snapshot),
      percentileHistory: this.clipper !== null && this.clipper.active ? encodePercentileHistory(this.clipper.history) : null,
    };
  }

  /**
   * Replaces the state with a saved one (from {@link saveState}, possibly
   * through JSON). Everything is checked before anything changes.
   *
   * @throws {@link OptimizerInputError} (`invalid-state`) when it does not fit.
   */
  loadState(saved: SavedOptimizerState): void {
    this.assertUsable();
    const decoded = decodeSavedState(saved, {
      kind: this.updateRuleSettings().kind,
      planFor: (length) => this.buildPlan(length),
      settingsFor: (plan) => this.stateSettingsFor(plan),
    });
    const { plan, snapshot } = decoded;
    let state: BackendState | null = null;
    if (snapshot !== null && plan !== null) {
      this.chain.fitFor(snapshot.dtype, plan);
      try {
        state = this.chain.backend.createState(plan, snapshot.dtype);
        state.restore(snapshot);
      } catch (e) {
        state?.dispose();
        throw new OptimizerInputError('invalid-state', `cannot load optimizer state: ${(e as Error).message}`);
      }
    }
    this.chain.replaceState(state, plan);
    this.plan = plan;
    this.dtype = decoded.dtype;
    this.stepCount = decoded.stepCount;
    this.stepsPerEpochOverride = decoded.stepsPerEpoch;
    const percentile = this.updateRuleSettings().percentileClipping;
    this.clipper =
      plan === null ? null : new PercentileClipper(percentile, plan.segments.length, decoded.percentileHistory ?? undefined);
  }

  /** What a state laid out by `plan` depends on (recorded by saveState, checked by loadState). */
  private stateSettingsFor(plan: LayerPlan | null): SavedStateSettings {
    const settings = this.updateRuleSettings();
    return stateSettings(plan, settings.rule, this.options.momentum > 0, settings.plan);
  }

  private assertUsable(): void {
    if (this.disposed) throw new OptimizerInputError('disposed', 'this optimizer was disposed; create a new one (its saved state, if any, loads into it)');
  }

  private checkVectors(parameters: Vector<T>, gradient: Vector<T>): void {
    if (!(parameters instanceof Vector) || !(gradient instanceof Vector)) {
      throw new OptimizerInputError(
        'dtype-mismatch',
        `parameters and gradient must be Vector instances, got ${describeValue(parameters)} and ${describeValue(gradient)}` +
          (ArrayBuffer.isView(parameters) || ArrayBuffer.isView(gradient) ? '; wrap a typed array without copying it: Vector.of(array)' : ''),
      );
    }
    if (parameters.dtype !== gradient.dtype) {
      throw new OptimizerInputError('dtype-mismatch', `parameters are ${parameters.dtype} but the gradient is ${gradient.dtype}`);
    }
    if (this.dtype !== null && parameters.dtype !== this.dtype) {
      throw new OptimizerInputError(
        'dtype-mismatch',
        `this optimizer's state is ${this.dtype}, but the parameters are ${parameters.dtype}; call reset() to change type`,
      );
    }
    if (parameters.length !== gradient.length) {
      throw new OptimizerInputError(
        'length-mismatch',
        `parameters have ${parameters.length} elements but the gradient has ${gradient.length}`,
      );
    }
    if (this.plan !== null && this.plan.length !== parameters.length) {
      throw new OptimizerInputError(
        'length-mismatch',
        `this optimizer was set up for ${this.plan.length} parameters, got ${parameters.length}; call reset() to change size`,
      );
    }
  }

  private buildPlan(length: number): LayerPlan {
    const layout = this.layout ?? this.model?.parameterLayout() ?? null;
    return buildLayerPlan(length, this.updateRuleSettings().plan, layout);
  }

  /** Creates the zero momentum state on the first step (none with momentum 0); true when it created one. */
  private ensureState(plan: LayerPlan, dtype: NumericType): boolean {
    if (this.options.momentum === 0 || this.chain.state !== null) return false;
    this.chain.replaceState(this.chain.run((b) => b.createState(plan, dtype)), plan);
    return true;
  }
}

function checkFiniteNorms(plan: LayerPlan, norms: Float64Array): void {
  const bad = firstNonFiniteNorm(plan.segments, norms);
  if (bad === null) return;
  const s = bad.layer;
  const where = `layer ${s.index} (${s.name}, elements ${s.start}..${s.end - 1})`;
  if (bad.what === 'gradient') {
    throw new OptimizerInputError(
      'non-finite-gradient',
      `the gradient of ${where} holds NaN or ±Infinity (or values whose squares overflow); nothing was changed`,
    );
  }
  throw new OptimizerInputError('non-finite-parameters', `the parameters of ${where} hold NaN or ±Infinity; nothing was changed`);
}
