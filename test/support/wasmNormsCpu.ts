import { type Vector } from '../../src/index.js';
import { CpuBackend } from '../../src/backends/js/CpuBackend.js';
import { WasmBackend } from '../../src/backends/wasm/WasmBackend.js';
import { type LayerPlan } from '../../src/core/LayerPlan.js';

/**
 * The JS CPU backend with one change: per-layer ‖w‖², ‖g‖² come from a
 * WebAssembly backend of its own. The WASM norms sum in another order than
 * the JS ones (within n·2⁻⁵³, tested elsewhere), so trust ratios and clip
 * scales would differ in their last bits; with the same norms, an optimizer
 * on this backend and one on {@link WasmBackend} get the same coefficients,
 * and their update kernels can be compared bit for bit. Its name stays `cpu`
 * and its state is the JS state ({@link CpuBackend.createState}).
 */
export class CpuBackendWithWasmNorms extends CpuBackend {
  private readonly norms = WasmBackend.create()!;

  override layerNorms(plan: LayerPlan, params: Vector, grads: Vector): Float64Array {
    return this.norms.layerNorms(plan, params, grads);
  }

  override dispose(): void {
    this.norms.dispose();
  }
}
