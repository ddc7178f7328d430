import type { NumericType } from '../numeric/NumericType.js';
import type { Vector } from '../numeric/Vector.js';
import type { LayerCoefficients } from './LayerCoefficients.js';
import type { LayerPlan } from './LayerPlan.js';
import type { StateSnapshot } from './StateSnapshot.js';

/**
 * The momentum state of one optimizer, held where its backend computes (host
 * memory, WebAssembly memory, GPU textures). Opaque to the optimizer: it only
 * passes it back to the backend, measures it, and snapshots it.
 *
 * @category Backends
 */
export interface BackendState {
  /** Bytes of memory the state really occupies. */
  readonly bytes: number;
  /** An exact host copy of the state, for saving and for moving to another backend. */
  snapshot(): StateSnapshot;
  /** Overwrites the state with `snapshot`, exactly. */
  restore(snapshot: StateSnapshot): void;
  /** Frees device memory, if any. */
  dispose(): void;
}

/**
 * The hot loops of an optimizer step, behind one small interface: a segmented
 * reduction for per-layer norms, and one fused pass for the update. A backend
 * never decides anything about the rule; {@link LayerCoefficients} tells it
 * what to multiply by.
 *
 * Every method leaves parameters and state untouched except
 * {@link OptimizerBackend.applyUpdate}.
 *
 * @category Backends
 */
export interface OptimizerBackend {
  /** Which implementation this is, e.g. `cpu`, `headlessgl`, `webgl2`, `webgpu`. */
  readonly name: string;
  /** Whether the backend computes in `dtype` without losing precision. */
  supports(dtype: NumericType): boolean;
  /** Whether the backend can hold momentum state of `bits` bits per element (32, or 8 for quantized layers). */
  supportsStateBits(bits: 8 | 32): boolean;
  /** A zero momentum state for `plan`, in `dtype`. */
  createState(plan: LayerPlan, dtype: NumericType): BackendState;
  /**
   * Per-layer squared norms, interleaved: `[‖w₀‖², ‖g₀‖², ‖w₁‖², ‖g₁‖², …]`,
   * accumulated in float64 on the CPU (a GPU's precision is its own).
   */
  layerNorms(plan: LayerPlan, params: Vector, grads: Vector): Float64Array;
  /** Per-layer squared norms of the update `u` that {@link applyUpdate} would make, changing nothing. */
  updateNorms(plan: LayerPlan, coeffs: LayerCoefficients, params: Vector, grads: Vector, state: BackendState | null): Float64Array;
  /** The fused update of every layer: decay, momentum, Nesterov, dampening and scale in one pass. */
  applyUpdate(plan: LayerPlan, coeffs: LayerCoefficients, params: Vector, grads: Vector, state: BackendState | null): void;
  /**
   * Optional: a zero vector placed where this backend's kernels read it
   * (e.g. WebAssembly memory), so steps on it copy nothing. Backends without
   * it take ordinary vectors; an optimizer's `allocateVector`
   * falls back to `Vector.zeros`.
   */
  allocateVector?<T extends NumericType>(length: number, dtype: T): Vector<T>;
  /**
   * Optional: whether {@link OptimizerBackend.allocateVector} really places
   * vectors in the backend's memory right now (false when it falls back to
   * ordinary vectors). Default: true when `allocateVector` exists.
   */
  readonly placesVectors?: boolean;
  /** Optional: frees a vector from {@link OptimizerBackend.allocateVector}; it must not be used afterwards. */
  releaseVector?(vector: Vector): void;
  /**
   * Optional: what went wrong and was recovered since the last call (e.g. a
   * worker thread lost), as messages for the optimizer's warning sink; each
   * message is returned once.
   */
  takeWarnings?(): string[];
  /** Frees whatever the backend holds (compiled kernels, device memory). */
  dispose(): void;
}
