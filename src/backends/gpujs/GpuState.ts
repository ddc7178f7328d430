import type { LayerPlan } from '../../core/LayerPlan.js';
import { restoreFlat, snapshotFlat } from '../../core/flatSnapshot.js';
import type { BackendState } from '../../core/OptimizerBackend.js';
import type { StateSnapshot } from '../../core/StateSnapshot.js';
import { deviceTextureBytes, type DeviceTexture } from './GpuKernelSet.js';

/**
 * What a {@link GpuState} needs from its backend: upload and read back padded device matrices.
 *
 * @category Backends
 */
export interface GpuStateHost {
  /** A zero device matrix for `plan`. */
  zeroTexture(plan: LayerPlan): DeviceTexture;
  /** Uploads the flat float32 `values` (length `plan.length`) as a device matrix. */
  uploadFlat(plan: LayerPlan, values: Float32Array): DeviceTexture;
  /** Reads a device matrix back as a flat float32 vector of `plan.length` elements. */
  downloadFlat(plan: LayerPlan, texture: DeviceTexture): Float32Array;
}

/**
 * Float32 momentum resident on the GPU: one texture in the backend's chunk
 * layout. Steps replace the texture only after the whole update succeeded, so
 * after a failing kernel the texture still holds the last committed momentum
 * and {@link GpuState.snapshot} reads it back for the CPU fallback.
 *
 * @category Backends
 */
export class GpuState implements BackendState {
  /** The committed momentum texture. Swapped by the backend after a successful update. */
  texture: DeviceTexture;
  /** The plan the texture is laid out for. */
  readonly plan: LayerPlan;
  private readonly host: GpuStateHost;

  constructor(host: GpuStateHost, plan: LayerPlan) {
    this.host = host;
    this.plan = plan;
    this.texture = host.zeroTexture(plan);
  }

  /**
   * Device bytes of the momentum texture as allocated (width × height × 16):
   * 4 per element plus the zero padding of partial chunks and of the texture.
   */
  get bytes(): number {
    return deviceTextureBytes(this.texture);
  }

  snapshot(): StateSnapshot {
    return snapshotFlat(this.plan, 'float32', this.host.downloadFlat(this.plan, this.texture));
  }

  restore(snapshot: StateSnapshot): void {
    const flat = new Float32Array(this.plan.length);
    restoreFlat(snapshot, this.plan, 'float32', flat);
    const next = this.host.uploadFlat(this.plan, flat);
    this.texture.delete();
    this.texture = next;
  }

  dispose(): void {
    this.texture.delete();
  }
}
