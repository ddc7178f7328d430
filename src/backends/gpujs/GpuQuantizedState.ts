import type { LayerPlan } from '../../core/LayerPlan.js';
import { checkQuantizedSnapshotFits } from '../../core/checkSnapshot.js';
import type { BackendState } from '../../core/OptimizerBackend.js';
import type { LayerState, StateSnapshot } from '../../core/StateSnapshot.js';
import { deviceTextureBytes, type DeviceTexture } from './GpuKernelSet.js';
import type { QuantizedStateLayout } from './QuantizedStateLayout.js';

/**
 * The three device matrices of a {@link GpuQuantizedState}.
 *
 * @category Backends
 */
export interface QuantizedTextures {
  /** Code words of the 8-bit rows. */
  readonly codes: DeviceTexture;
  /** absmax of every block of the 8-bit rows. */
  readonly absmax: DeviceTexture;
  /** Momentum of the 32-bit rows, or null when every layer is 8-bit. */
  readonly floats: DeviceTexture | null;
}

/**
 * What a {@link GpuQuantizedState} needs from its backend: its layout, and uploads of host matrices.
 *
 * @category Backends
 */
export interface GpuQuantizedStateHost {
  /** The quantized layout of `plan` (compiling its kernels on first use). */
  quantizedLayout(plan: LayerPlan): QuantizedStateLayout;
  /** Uploads packed host matrices (see {@link QuantizedStateLayout}); `floats` null when the plan has no 32-bit rows. */
  uploadQuantized(plan: LayerPlan, codes: Float32Array, absmax: Float32Array, floats: Float32Array | null): QuantizedTextures;
}

/**
 * Momentum of a plan with 8-bit layers, resident on the GPU: three codes per
 * float32 word, one float32 absmax per 256-element block, and float32
 * momentum for the plan's 32-bit layers only (see {@link QuantizedStateLayout}).
 * The backend swaps in new textures only after a whole step succeeded, so
 * after a failing kernel they still hold the last committed state and
 * {@link GpuQuantizedState.snapshot} reads it back exactly for the CPU.
 *
 * @category Backends
 */
export class GpuQuantizedState implements BackendState {
  /** The committed textures. Swapped by the backend after a successful update. */
  textures: QuantizedTextures;
  /** The plan the textures are laid out for. */
  readonly plan: LayerPlan;
  /** The layout of the textures. */
  readonly layout: QuantizedStateLayout;
  private readonly host: GpuQuantizedStateHost;

  /** A zero state: every code the zero code, every absmax 0, every float 0. */
  constructor(host: GpuQuantizedStateHost, plan: LayerPlan) {
    this.host = host;
    this.plan = plan;
    this.layout = host.quantizedLayout(plan);
    const none = plan.segments.map(() => null);
    this.textures = host.uploadQuantized(
      plan,
      this.layout.packCodes(none),
      this.layout.packAbsmax(none),
      this.layout.rows32 > 0 ? this.layout.packFloats(none) : null,
    );
  }

  /**
   * Device bytes of the three textures as allocated: gpu.js stores four
   * float32 values per RGBA texel (16 bytes) in a near-square texture, so this
   * is Σ width·height·16 over the textures, padding included. About
   * 86·4/256 + 4/256 ≈ 1.36 bytes per element of an 8-bit layer (4 for a
   * 32-bit layer), plus the padding of partial chunks and textures.
   */
  get bytes(): number {
    const { codes, absmax, floats } = this.textures;
    return deviceTextureBytes(codes) + deviceTextureBytes(absmax) + (floats === null ? 0 : deviceTextureBytes(floats));
  }

  /** Reads codes, absmax and floats back exactly; 8-bit layers come out with `bits: 8`. */
  snapshot(): StateSnapshot {
    const { codes, absmax: scales, floats: values } = this.textures;
    const words = flatten(codes.toArray(), this.layout.wordsPerRow);
    const absmax = flatten(scales.toArray(), this.layout.blocksPerRow);
    const floats = values === null ? null : flatten(values.toArray(), this.layout.chunks.chunkSize);
    const layers: LayerState[] = this.plan.segments.map((s) =>
      s.stateBits === 8
        ? { bits: 8, codes: this.layout.unpackCodes(words, s.index), absmax: this.layout.unpackAbsmax(absmax, s.index) }
        : { bits: 32, values: floats === null ? new Float32Array(0) : this.layout.unpackFloats(floats, s.index) },
    );
    return { dtype: 'float32', layers };
  }

  /** Uploads `snapshot` exactly; checks every layer (bits, sizes, absmax finite and ≥ 0) before changing anything. */
  restore(snapshot: StateSnapshot): void {
    checkQuantizedSnapshotFits(snapshot, this.plan, 'float32');
    const codes = snapshot.layers.map((layer) => (layer.bits === 8 ? layer.codes : null));
    const absmax = snapshot.layers.map((layer) => (layer.bits === 8 ? layer.absmax : null));
    const floats = snapshot.layers.map((layer) => (layer.bits === 32 ? (layer.values as Float32Array) : null));
    const next = this.host.uploadQuantized(
      this.plan,
      this.layout.packCodes(codes),
      this.layout.packAbsmax(absmax),
      this.layout.rows32 > 0 ? this.layout.packFloats(floats) : null,
    );
    this.dispose();
    this.textures = next;
  }

  /** Frees the three textures. */
  dispose(): void {
    this.textures.codes.delete();
    this.textures.absmax.delete();
    this.textures.floats?.delete();
  }
}

/** A 2-D readback (rows of float32, each at least `width` long) as one flat array. */
function flatten(rows: unknown, width: number): Float32Array {
  const list = rows as Float32Array[];
  const out = new Float32Array(width * list.length);
  list.forEach((row, y) => out.set(row.subarray(0, width), y * width));
  return out;
}
