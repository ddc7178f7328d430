import type { FullModel } from '../models/FullModel.js';
import type { VectorAllocator } from '../models/ModelStorage.js';
import type { ParameterLayout } from '../models/ParameterLayout.js';
import { describeValue, type NumericType } from '../numeric/NumericType.js';
import { Vector } from '../numeric/Vector.js';
import type { LARSRule } from '../options/LARSRule.js';
import type { GradientBasedOptimizerOptions } from '../options/GradientBasedOptimizerOptions.js';
import { CpuBackend } from '../gpu/CpuBackend.js';
import { createCpuBackend } from '../gpu/createCpuBackend.js';
import { WasmBackend } from '../wasm/WasmBackend.js';
import type { BackendState, OptimizerBackend } from '../gpu/OptimizerBackend.js';
import { selectBackend, threadOptions } from '../gpu/selectBackend.js';
import type { LayerState, StateSnapshot } from '../gpu/StateSnapshot.js';
import { decodeBase64, encodeBase64 } from '../util/base64.js';
import { allocateCoefficients } from './LayerCoefficients.js';
import { buildLayerPlan, type LayerPlan, type LayerPlanOptions } from './LayerPlan.js';
import { globalClipScale, updateNormScale, writeLayerCoefficients, type StepHyperParameters } from './layerUpdateRule.js';
import { learningRateAt } from './learningRateSchedule.js';
import { OptimizerInputError } from './OptimizerInputError.js';
import type { OptimizationResult, OptimizeControls, TrainingData } from '../training/OptimizationResult.js';
import { trainModel } from '../training/trainModel.js';
import { PERCENTILE_HISTORY, PercentileClipper } from './PercentileClipper.js';
import type { SavedLayerState, SavedOptimizerState } from './SavedOptimizerState.js';

/** Optional wiring of an optimizer that is not an option: a layout, a backend, a warning sink. */
export interface OptimizerSetup {
  /** The tensors of the flat vector, for users stepping by hand without a model. Default: the model's layout, if any. */
  readonly layout?: ParameterLayout | null;
  /** A backend instance to use instead of the one `options.backend` selects. */
  readonly backend?: OptimizerBackend;
  /** Where warnings go (backend fallbacks). Default `console.warn`. */
  readonly onWarning?: (message: string) => void;
}

/**
 * What a concrete optimizer tells the shared step machinery: how to split the
 * vector into layers and how each layer's update is formed.
 */
export interface UpdateRuleSettings {
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
 * pure functions ({@link writeLayerCoefficients}); the element loops live in
 * the backend. Subclasses only say which rule to apply.
 *
 * @typeParam T - numeric type of parameters and gradients.
 * @typeParam TInput - a batch of model inputs.
 * @typeParam TOutput - a batch of model outputs.
 * @typeParam O - the options class.
 */
export abstract class GradientBasedOptimizer<
  T extends NumericType,
  TInput,
  TOutput,
  O extends GradientBasedOptimizerOptions = GradientBasedOptimizerOptions,
> {
  /** The validated, frozen options. */
  readonly options: O;
  /** The model being trained, or null for an optimizer stepped by hand. */
  readonly model: FullModel<T, TInput, TOutput> | null;

  private backend: OptimizerBackend;
  private readonly layout: ParameterLayout | null;
  private readonly warn: (message: string) => void;
  private plan: LayerPlan | null = null;
  private state: BackendState | null = null;
  private dtype: NumericType | null = null;
  private stepCount = 0;
  private clipper: PercentileClipper | null = null;
  private stepsPerEpochOverride: number | null = null;

  protected constructor(model: FullModel<T, TInput, TOutput> | null, options: O, setup: OptimizerSetup = {}) {
    this.model = model;
    this.options = options;
    this.layout = setup.layout ?? null;
    this.warn = setup.onWarning ?? ((message: string) => console.warn(`lars-ts: ${message}`));
    this.backend = setup.backend ?? selectBackend(options.backend, options.cpuThreads);
  }

  /** How the concrete optimizer forms its update. */
  protected abstract updateRuleSettings(): UpdateRuleSettings;

  /** The options this optimizer was built with. */
  getOptions(): O {
    return this.options;
  }

  /** Which backend runs the hot loops: `cpu`, `headlessgl`, `webgl2`, `webgpu`, … */
  get backendName(): string {
    return this.backend.name;
  }

  /**
   * A zero vector of `length` elements for parameters or gradients, placed
   * where the backend computes (WebAssembly memory on the CPU), so that
   * {@link step} reads and writes it without copying. Write into its `data`
   * as into any typed array. Default: an ordinary `Vector.zeros` when the
   * backend has no memory of its own.
   */
  allocateVector<D extends NumericType = T>(length: number, dtype: D): Vector<D> {
    if (!Number.isInteger(length) || length < 0) throw new RangeError(`length must be a non-negative integer, got ${length}`);
    return this.backend.allocateVector?.(length, dtype) ?? Vector.zeros(length, dtype);
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
    return this.backend.allocateVector !== undefined && this.backend.placesVectors !== false;
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
    if (steps !== null && !(Number.isInteger(steps) && steps >= 1)) {
      throw new RangeError(`stepsPerEpoch must be a positive integer or null, got ${steps}`);
    }
    this.stepsPerEpochOverride = steps;
  }

  /** The learning rate of 1-based step `step` under warmup and schedule. */
  learningRateAt(step: number): number {
    const o = this.options;
    const perEpoch = this.stepsPerEpoch;
    return learningRateAt(step, {
      initialLearningRate: o.initialLearningRate,
      minLearningRate: o.minLearningRate,
      schedule: o.learningRateSchedule,
      polynomialPower: o.polynomialPower,
      warmupSteps: perEpoch === null ? 0 : o.warmupEpochs * perEpoch,
      totalSteps: perEpoch === null ? null : o.maxIterations * perEpoch,
    });
  }

  /** The learning rate the next step will use. */
  get currentLearningRate(): number {
    return this.learningRateAt(this.stepCount + 1);
  }

  /** Bytes of memory the momentum state occupies (0 before the first step or with momentum 0). */
  stateBytes(): number {
    return this.state?.bytes ?? 0;
  }

  /**
   * One optimizer step, in place: `parameters` is updated, the state advances.
   *
   * @throws {@link OptimizerInputError} on a length or dtype mismatch, a layout
   * that does not fit, or NaN/±Infinity in the gradient or parameters. Nothing
   * changes when it throws.
   */
  step(parameters: Vector<T>, gradient: Vector<T>): void {
    this.checkVectors(parameters, gradient);
    const plan = this.planFor(parameters.length);
    const settings = this.updateRuleSettings();
    this.useBackendFor(parameters.dtype, plan);
    const norms = this.onBackend((b) => b.layerNorms(plan, parameters, gradient));
    checkFiniteNorms(plan, norms);

    const stepNumber = this.stepCount + 1;
    const o = this.options;
    const lr = this.learningRateAt(stepNumber);
    const layers = plan.segments.length;
    let globalScale = 1;
    if (o.useGradientClipping) {
      let total = 0;
      for (let l = 0; l < layers; l++) total += norms[2 * l + 1];
      globalScale = globalClipScale(Math.sqrt(total), o.maxGradientNorm);
    }
    const gradSq = new Float64Array(layers);
    for (let l = 0; l < layers; l++) gradSq[l] = norms[2 * l + 1] * globalScale * globalScale;
    const clipper = this.clipperFor(settings.percentileClipping, layers);
    const percentileScales = clipper.scales(gradSq, stepNumber);

    const hp: StepHyperParameters = {
      learningRate: lr,
      weightDecay: o.weightDecay,
      trustCoefficient: settings.trustCoefficient,
      epsilon: settings.epsilon,
      momentum: o.momentum,
      dampening: o.dampening,
      nesterov: o.useNesterov,
      rule: settings.rule,
      firstStep: this.stepCount === 0,
    };
    const coeffs = allocateCoefficients(layers);
    for (const s of plan.segments) {
      const l = s.index;
      writeLayerCoefficients(coeffs, l, {
        weightNorm: Math.sqrt(norms[2 * l]),
        gradNorm: Math.sqrt(gradSq[l]) * percentileScales[l],
        gradScale: globalScale * percentileScales[l],
        adapt: s.adapt,
        decay: s.decay,
      }, hp);
    }
    this.ensureState(plan, parameters.dtype);
    if (settings.maxUnorm > 0) {
      const updateSq = this.onBackend((b) => b.updateNorms(plan, coeffs, parameters, gradient, this.state));
      for (let l = 0; l < layers; l++) {
        coeffs.stepScale[l] *= updateNormScale(Math.sqrt(updateSq[l]), Math.sqrt(norms[2 * l]), settings.maxUnorm);
      }
    }
    this.onBackend((b) => b.applyUpdate(plan, coeffs, parameters, gradient, this.state));
    clipper.commit(gradSq, stepNumber);
    this.stepCount = stepNumber;
    this.dtype = parameters.dtype;
  }

  /**
   * Trains {@link model} on `data` with mini-batches, warmup, schedule, early
   * stopping, progress and abort, and leaves the best parameters on the model.
   * See {@link trainModel} for the details.
   */
  optimize(data: TrainingData<TInput, TOutput>, controls: OptimizeControls = {}): Promise<OptimizationResult> {
    return trainModel(this, data, controls);
  }

  /**
   * One optimizer step that leaves `parameters` alone and returns the updated
   * copy. The optimizer's state advances as with {@link step}.
   */
  updateParameters(parameters: Vector<T>, gradient: Vector<T>): Vector<T> {
    this.checkVectors(parameters, gradient);
    const out = parameters.clone();
    this.step(out, gradient);
    return out;
  }

  /** Forgets all state: step count, momentum, clipping history, plan. Options and backend stay. */
  reset(): void {
    this.state?.dispose();
    this.state = null;
    this.plan = null;
    this.dtype = null;
    this.stepCount = 0;
    this.clipper = null;
  }

  /** Frees the backend's resources; the optimizer must not be used afterwards. */
  dispose(): void {
    this.state?.dispose();
    this.state = null;
    this.backend.dispose();
  }

  /** The state as plain JSON: restore it into an optimizer with the same options to continue bit for bit. */
  saveState(): SavedOptimizerState {
    const snapshot = this.state === null ? null : this.onBackend(() => this.state!.snapshot());
    return {
      format: 'lars-ts.optimizer-state',
      version: 1,
      optimizer: this.constructor.name,
      stepCount: this.stepCount,
      stepsPerEpoch: this.stepsPerEpochOverride,
      dtype: this.dtype,
      length: this.plan?.length ?? null,
      momentum: snapshot === null ? null : snapshot.layers.map(encodeLayer),
      percentileHistory: this.clipper !== null && this.clipper.active ? encodeBase64(this.clipper.history) : null,
    };
  }

  /**
   * Replaces the state with a saved one (from {@link saveState}, possibly
   * through JSON). Everything is checked before anything changes.
   *
   * @throws {@link OptimizerInputError} (`invalid-state`) when it does not fit.
   */
  loadState(saved: SavedOptimizerState): void {
    const bad = (why: string) => new OptimizerInputError('invalid-state', `cannot load optimizer state: ${why}`);
    if (saved === null || typeof saved !== 'object' || saved.format !== 'lars-ts.optimizer-state') {
      throw bad('not a lars-ts optimizer state (format field missing or wrong)');
    }
    if (saved.version !== 1) throw bad(`unsupported version ${String(saved.version)}`);
    if (!Number.isInteger(saved.stepCount) || saved.stepCount < 0) throw bad(`stepCount ${saved.stepCount} is not a count`);
    const plan = saved.length === null ? null : this.tryPlan(saved.length, bad);
    const settings = this.updateRuleSettings();
    let snapshot: StateSnapshot | null = null;
    let history: Float64Array | null = null;
    try {
      if (saved.momentum !== null) {
        if (plan === null || (saved.dtype !== 'float32' && saved.dtype !== 'float64')) {
          throw new Error('momentum is present but length or dtype is missing');
        }
        const dtype = saved.dtype;
        snapshot = { dtype, layers: saved.momentum.map((m) => decodeLayer(m, dtype)) };
      }
      if (saved.percentileHistory !== null) {
        history = decodeFloat64(saved.percentileHistory);
        if (plan === null || history.length !== plan.segments.length * PERCENTILE_HISTORY) {
          throw new Error('percentile history does not match the layer plan');
        }
      }
    } catch (e) {
      throw bad((e as Error).message);
    }
    let state: BackendState | null = null;
    if (snapshot !== null && plan !== null) {
      this.useBackendFor(snapshot.dtype, plan);
      try {
        state = this.backend.createState(plan, snapshot.dtype);
        state.restore(snapshot);
      } catch (e) {
        state?.dispose();
        throw bad((e as Error).message);
      }
    }
    this.state?.dispose();
    this.state = state;
    this.plan = plan;
    this.dtype = saved.dtype;
    this.stepCount = saved.stepCount;
    this.stepsPerEpochOverride = saved.stepsPerEpoch;
    this.clipper =
      plan === null ? null : new PercentileClipper(settings.percentileClipping, plan.segments.length, history ?? undefined);
  }

  private tryPlan(length: number, bad: (why: string) => Error): LayerPlan {
    if (!Number.isInteger(length) || length < 0) throw bad(`length ${length} is not a count`);
    try {
      return this.buildPlan(length);
    } catch (e) {
      throw bad((e as Error).message);
    }
  }

  private checkVectors(parameters: Vector<T>, gradient: Vector<T>): void {
    if (!(parameters instanceof Vector) || !(gradient instanceof Vector)) {
      throw new OptimizerInputError(
        'dtype-mismatch',
        `parameters and gradient must be Vector instances, got ${describeValue(parameters)} and ${describeValue(gradient)}`,
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

  /** The cached plan for `length` elements, built on first use. */
  private planFor(length: number): LayerPlan {
    if (this.plan === null || this.plan.length !== length) this.plan = this.buildPlan(length);
    return this.plan;
  }

  private buildPlan(length: number): LayerPlan {
    const layout = this.layout ?? this.model?.parameterLayout() ?? null;
    return buildLayerPlan(length, this.updateRuleSettings().plan, layout);
  }

  private clipperFor(percentile: number, layers: number): PercentileClipper {
    if (this.clipper === null || this.clipper.layers !== layers) this.clipper = new PercentileClipper(percentile, layers);
    return this.clipper;
  }

  /** Creates the zero momentum state on the first step (none with momentum 0). */
  private ensureState(plan: LayerPlan, dtype: NumericType): void {
    if (this.options.momentum === 0 || this.state !== null) return;
    this.state = this.onBackend((b) => b.createState(plan, dtype));
  }

  /**
   * Moves down to a CPU backend, with a warning, until the backend can
   * compute in `dtype` without losing precision and hold the plan's 8-bit state.
   */
  private useBackendFor(dtype: NumericType, plan: LayerPlan): void {
    for (let why = unfitFor(this.backend, dtype, plan); why !== null; why = unfitFor(this.backend, dtype, plan)) {
      const from = this.backend.name;
      this.moveToCpu();
      this.warn(`backend ${from} ${why}; using the CPU backend (${this.backend.name})`);
    }
  }

  /**
   * Runs `work` on the backend. If a backend other than the JS loops fails,
   * moves one backend down (GPU → WebAssembly → JS loops) with a warning,
   * carrying the momentum state across, and runs it there. Input errors are
   * not backend failures and pass through.
   */
  private onBackend<R>(work: (backend: OptimizerBackend) => R): R {
    for (;;) {
      try {
        return work(this.backend);
      } catch (error) {
        if (error instanceof OptimizerInputError || this.backend instanceof CpuBackend) throw error;
        const from = this.backend.name;
        this.moveToCpu();
        this.warn(`backend ${from} failed (${(error as Error).message}); continuing on the CPU backend (${this.backend.name})`);
      }
    }
  }

  /**
   * Moves to the next backend down: from a GPU to the fastest CPU backend
   * (WebAssembly SIMD where available), from WebAssembly to the JS loops,
   * which run everything. Momentum state goes straight to the JS loops when
   * the next backend could not hold it.
   */
  private moveToCpu(): void {
    let cpu = this.backend instanceof WasmBackend ? new CpuBackend() : createCpuBackend(threadOptions(this.options.cpuThreads));
    if (this.state !== null && this.plan !== null) {
      const snapshot = this.state.snapshot();
      if (unfitFor(cpu, snapshot.dtype, this.plan) !== null) {
        cpu.dispose();
        cpu = new CpuBackend();
      }
      const moved = cpu.createState(this.plan, snapshot.dtype);
      moved.restore(snapshot);
      this.state.dispose();
      this.state = moved;
    }
    this.backend.dispose();
    this.backend = cpu;
  }
}

/** Why `backend` cannot run `plan` in `dtype` (as a clause after its name), or null when it can. */
function unfitFor(backend: OptimizerBackend, dtype: NumericType, plan: LayerPlan): string | null {
  if (!backend.supports(dtype)) return `cannot compute in ${dtype} without losing precision`;
  if (plan.segments.some((s) => s.stateBits === 8) && !backend.supportsStateBits(8)) return 'cannot hold 8-bit optimizer state';
  return null;
}

function checkFiniteNorms(plan: LayerPlan, norms: Float64Array): void {
  for (const s of plan.segments) {
    const l = s.index;
    if (!Number.isFinite(norms[2 * l + 1])) {
      throw new OptimizerInputError(
        'non-finite-gradient',
        `the gradient of layer ${l} (${s.name}, elements ${s.start}..${s.end - 1}) holds NaN or ±Infinity (or values whose squares overflow); nothing was changed`,
      );
    }
    if (!Number.isFinite(norms[2 * l])) {
      throw new OptimizerInputError(
        'non-finite-parameters',
        `the parameters of layer ${l} (${s.name}, elements ${s.start}..${s.end - 1}) hold NaN or ±Infinity; nothing was changed`,
      );
    }
  }
}

function encodeLayer(layer: LayerState): SavedLayerState {
  return layer.bits === 32
    ? { bits: 32, values: encodeBase64(layer.values) }
    : { bits: 8, codes: encodeBase64(layer.codes), absmax: encodeBase64(layer.absmax) };
}

function decodeLayer(layer: SavedLayerState, dtype: NumericType): LayerState {
  if (layer.bits === 32) {
    const bytes = decodeBase64(layer.values);
    const values = dtype === 'float32' ? new Float32Array(whole(bytes, 4)) : new Float64Array(whole(bytes, 8));
    return { bits: 32, values };
  }
  if (layer.bits === 8) {
    return { bits: 8, codes: decodeBase64(layer.codes), absmax: new Float32Array(whole(decodeBase64(layer.absmax), 4)) };
  }
  throw new Error(`a layer has ${String((layer as { bits: unknown }).bits)} bits; expected 8 or 32`);
}

function decodeFloat64(text: string): Float64Array {
  return new Float64Array(whole(decodeBase64(text), 8));
}

/** The buffer of `bytes`, checked to hold whole elements of `size` bytes. */
function whole(bytes: Uint8Array, size: number): ArrayBuffer {
  if (bytes.byteLength % size !== 0) throw new Error(`${bytes.byteLength} bytes do not make whole ${size}-byte elements`);
  return bytes.buffer as ArrayBuffer;
}
