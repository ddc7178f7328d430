import { type Vector } from '../../src/index.js';
import { CpuBackend } from '../../src/backends/js/CpuBackend.js';
import { WasmBackend } from '../../src/backends/wasm/WasmBackend.js';
import { type LayerPlan } from '../../src/core/LayerPlan.js';

/**
 * The JS CPU backend with one change: per-layer ‖w‖², ‖g‖² come from the
 * given WebAssembly backend, computed on copies placed in its memory (so a
 * threaded backend sums them on its workers, piece by piece, as it does for
 * zero-copy vectors). The WASM norms sum in another order than the JS ones
 * (within n·2⁻⁵³, tested elsewhere), so trust ratios and clip scales would
 * differ in their last bits; with the same norms, an optimizer on this backend
 * and one on a {@link WasmBackend} like `norms` get the same coefficients, and
 * their update kernels can be compared bit for bit. Its name stays `cpu` and
 * its state is the JS state ({@link CpuBackend.createState}).
 */
export class CpuBackendWithNormsOf extends CpuBackend {
  /** @param copyIn - place copies of the operands in `norms`' memory first (default true); false passes ordinary vectors (summed on the calling thread). */
  constructor(
    private readonly norms: WasmBackend,
    private readonly copyIn = true,
  ) {
    super();
  }

  override layerNorms(plan: LayerPlan, params: Vector, grads: Vector): Float64Array {
    if (!this.copyIn) return this.norms.layerNorms(plan, params, grads);
    const w = this.norms.allocateVector(params.length, params.dtype);
    const g = this.norms.allocateVector(grads.length, grads.dtype);
    w.data.set(params.data);
    g.data.set(grads.data);
    const out = this.norms.layerNorms(plan, w, g);
    this.norms.releaseVector(w);
    this.norms.releaseVector(g);
    return out;
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
