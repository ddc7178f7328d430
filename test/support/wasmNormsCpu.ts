import { type Vector } from '../../src/index.js';
import { CpuBackend } from '../../src/backends/js/CpuBackend.js';
import { WasmBackend } from '../../src/backends/wasm/WasmBackend.js';
import { type LayerPlan } from '../../src/core/LayerPlan.js';
import { type LayerCoefficients } from '../../src/core/LayerCoefficients.js';
import { type BackendState } from '../../src/core/OptimizerBackend.js';

/**
 * The JS CPU backend with one change: per-layer ‖w‖², ‖g‖² come from the
 * given WebAssembly backend, computed on copies placed in its memory (so a
 * threaded backend sums them on its workers, piece by piece, as it does for
 * zero-copy vectors). The WASM norms sum in another order than the JS ones
 * (within n·2⁻⁵³, tested elsewhere), so trust ratios and clip scales would
 * differ in their last bits; with the same norms, an optimizer on this backend
 * and one on a {@link WasmBackend} like `norms` get the same coefficients, and
 * their update kernels can be compared bit for bit. With `updateNormsToo`,
 * Σu² comes from `norms` as well (on copies of the operands and of the JS
 * state), for a threaded backend that sums it piece by piece. Its name stays `cpu` and
 * its state is the JS state ({@link CpuBackend.createState}).
 */
export class CpuBackendWithNormsOf extends CpuBackend {
  /**
   * @param copyIn - place copies of the operands in `norms`' memory first (default true); false passes ordinary vectors (summed on the calling thread).
   * @param updateNormsToo - take Σu² from `norms` too, on copies (default false: the JS loops' in-order sums).
   */
  constructor(
    private readonly norms: WasmBackend,
    private readonly copyIn = true,
    private readonly updateNormsToo = false,
  ) {
    super();
  }

  override layerNorms(plan: LayerPlan, params: Vector, grads: Vector): Float64Array {
    if (!this.copyIn) return this.norms.layerNorms(plan, params, grads);
    return this.onCopies(params, grads, (w, g) => this.norms.layerNorms(plan, w, g));
  }

  override updateNorms(plan: LayerPlan, c: LayerCoefficients, params: Vector, grads: Vector, state: BackendState | null): Float64Array {
    if (!this.updateNormsToo) return super.updateNorms(plan, c, params, grads, state);
    // The JS state's exact copy in `norms`' memory.
    const mirror = state === null ? null : this.norms.createState(plan, params.dtype);
    mirror?.restore(state!.snapshot());
    try {
      return this.onCopies(params, grads, (w, g) => this.norms.updateNorms(plan, c, w, g, mirror));
    } finally {
      mirror?.dispose();
    }
  }

  /** `run` on copies of the operands placed in `norms`' memory. */
  private onCopies<R>(params: Vector, grads: Vector, run: (w: Vector, g: Vector) => R): R {
    const w = this.norms.allocateVector(params.length, params.dtype);
    const g = this.norms.allocateVector(grads.length, grads.dtype);
    w.data.set(params.data);
    g.data.set(grads.data);
    try {
      return run(w, g);
    } finally {
      this.norms.releaseVector(w);
      this.norms.releaseVector(g);
    }
  }

  override dispose(): void {
    this.norms.dispose();
  }
}

/** {@link CpuBackendWithNormsOf} a single-threaded WebAssembly backend of its own. */
export class CpuBackendWithWasmNorms extends CpuBackendWithNormsOf {
  constructor() {
    super(WasmBackend.create()!, false);
  }
}
