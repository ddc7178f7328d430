import * as tf from '@tensorflow/tfjs-core';
import { CpuBackend } from '../../../src/backends/js/CpuBackend.js';
import type { ParameterKind } from '../../../src/models/ParameterLayout.js';
import { Vector } from '../../../src/numeric/Vector.js';
import { LARSOptimizer } from '../../../src/optimizers/LARSOptimizer.js';
import type { LARSOptimizerOptions, LARSOptimizerOptionsInput } from '../../../src/options/LARSOptimizerOptions.js';
import { TfjsLARSOptimizer, type TfjsLARSSetup } from '../../../src/tfjs/index.js';

/** One tensor of a parity setup: its shape, start values and the gradient of each step. */
export interface ParityTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly kind: ParameterKind;
  readonly init: readonly number[];
  readonly grads: readonly (readonly number[])[];
}

/** How far the adapter's parameters drifted from the core's. */
export interface Drift {
  /** Largest |w_tfjs − w_core| over all elements and steps. */
  readonly maxAbs: number;
  /** Largest per-tensor ‖w_tfjs − w_core‖ / ‖w_core‖ over all steps. */
  readonly maxRel: number;
  /** The core's parameters after the last step, flat. */
  readonly coreFinal: Float32Array;
  /** The warnings each optimizer gave (the adapter's only when `setup` has no `onWarning` of its own). */
  readonly warnings: { readonly core: string[]; readonly adapter: string[] };
}

let setupCount = 0;

/**
 * Steps the core {@link LARSOptimizer} (JS loops, float32 vectors, one layer
 * per tensor in the same order and kinds) and a {@link TfjsLARSOptimizer}
 * (on the active tfjs backend) side by side with the same gradients, and
 * measures the drift after every step. The adapter gets `adapterOptions`
 * when given, else the same options.
 */
export function stepBoth(
  tensors: readonly ParityTensor[],
  options: LARSOptimizerOptions | LARSOptimizerOptionsInput,
  steps: number,
  setup: TfjsLARSSetup = {},
  adapterOptions: LARSOptimizerOptions | LARSOptimizerOptionsInput = options,
): Drift {
  const prefix = `parity${setupCount++}`;
  const layout = tensors.map((t) => ({ name: t.name, size: t.init.length, kind: t.kind }));
  const warnings = { core: [] as string[], adapter: [] as string[] };
  const core = new LARSOptimizer(null, options, { backend: new CpuBackend(), layout, onWarning: (m) => warnings.core.push(m) });
  const adapter = new TfjsLARSOptimizer(adapterOptions, { onWarning: (m) => warnings.adapter.push(m), ...setup });
  const vars = tensors.map((t) => tf.variable(tf.tensor(t.init as number[], t.shape as number[]), true, `${prefix}/${t.name}`));
  const w = new Vector(new Float32Array(tensors.flatMap((t) => t.init)));
  const g = new Vector(new Float32Array(w.length));
  let maxAbs = 0;
  let maxRel = 0;
  try {
    for (let s = 0; s < steps; s++) {
      g.data.set(tensors.flatMap((t) => t.grads[s]));
      core.step(w, g);
      const grads = tensors.map((t, i) => ({ name: vars[i].name, tensor: tf.tensor(t.grads[s] as number[], t.shape as number[]) }));
      adapter.applyGradients(grads);
      tf.dispose(grads.map((x) => x.tensor));
      let offset = 0;
      vars.forEach((v) => {
        const got = v.dataSync();
        let diff = 0;
        let norm = 0;
        got.forEach((x, i) => {
          const e = w.data[offset + i];
          maxAbs = Math.max(maxAbs, Math.abs(x - e));
          diff += (x - e) ** 2;
          norm += e * e;
        });
        maxRel = Math.max(maxRel, Math.sqrt(diff) / Math.max(Math.sqrt(norm), 1e-30));
        offset += got.length;
      });
    }
  } finally {
    adapter.dispose();
    core.dispose();
    tf.dispose(vars);
  }
  return { maxAbs, maxRel, coreFinal: Float32Array.from(w.data), warnings };
}
