import { engine, reshape, square, stack, sum, tidy, type NamedTensorMap, type Tensor, type Variable } from '@tensorflow/tfjs-core';
import { firstNonFiniteNorm } from '../optimizers/stepCoefficients.js';
import { OptimizerInputError } from '../core/OptimizerInputError.js';
import type { NamedTensor } from './NamedTensor.js';
import type { VariableLayer } from './variableLayers.js';

/**
 * A variable, its gradient and its engine name, as one step sees them.
 *
 * @category TensorFlow.js
 */
export interface StepEntry {
  /** The variable's name in the tfjs engine. */
  readonly engineName: string;
  /** The variable itself. */
  readonly variable: Variable;
  /** Its gradient, same shape, float32. */
  readonly gradient: Tensor;
}

/**
 * Whether two shapes are equal.
 *
 * @category TensorFlow.js
 */
export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((n, i) => n === b[i]);
}

/**
 * The (variable, gradient) pairs of a step, skipping null gradients, with every check that needs no data.
 *
 * @category TensorFlow.js
 */
export function collectEntries(variableGradients: NamedTensorMap | NamedTensor[]): StepEntry[] {
  const pairs: [string, Tensor | null | undefined][] = Array.isArray(variableGradients)
    ? variableGradients.map((item) => [item.name, item.tensor])
    : Object.keys(variableGradients).map((name) => [name, variableGradients[name]]);
  const registered = engine().registeredVariables;
  const out: StepEntry[] = [];
  for (const [name, gradient] of pairs) {
    if (gradient == null) continue;
    const v = registered[name];
    if (v === undefined) {
      throw new OptimizerInputError('invalid-layout', `no tfjs variable named ${JSON.stringify(name)} is registered; nothing was changed`);
    }
    if (v.dtype !== 'float32' || gradient.dtype !== 'float32') {
      throw new OptimizerInputError(
        'dtype-mismatch',
        `variable ${name} is ${v.dtype} and its gradient ${gradient.dtype}; LARS needs float32 for both; nothing was changed`,
      );
    }
    if (!sameShape(v.shape, gradient.shape)) {
      throw new OptimizerInputError(
        'length-mismatch',
        `the gradient of ${name} has shape [${gradient.shape.join(', ')}], but the variable has shape [${v.shape.join(', ')}]; nothing was changed`,
      );
    }
    out.push({ engineName: name, variable: v, gradient });
  }
  return out;
}

/**
 * Every variable's ‖w‖² and ‖g‖², interleaved, computed on the tfjs backend and read back in one transfer.
 *
 * @category TensorFlow.js
 */
export function readSquaredNorms(entries: readonly StepEntry[]): Float64Array {
  const packed = tidy(() => stack(entries.flatMap((e) => [sumOfSquares(e.variable), sumOfSquares(e.gradient)])));
  try {
    return Float64Array.from(packed.dataSync());
  } finally {
    packed.dispose();
  }
}

/**
 * Σx² in float32, summed row by row (rows of the last dimension) and then
 * over the rows. tfjs-backend-wasm sums a whole tensor one float32 element
 * after another, which for a 1M-element kernel puts ~4e-6 relative error on
 * the norms; two shorter sums lose far less (about (rows + columns)·2⁻²⁴).
 *
 * @category TensorFlow.js
 */
export function sumOfSquares(x: Tensor): Tensor {
  const squares = square(x);
  if (x.rank < 2 || x.size === 0) return sum(squares);
  const columns = x.shape[x.rank - 1];
  return sum(sum(reshape(squares, [x.size / columns, columns]), 1));
}

/**
 * Refuses a step whose squared norms are not finite, naming the variable.
 *
 * @throws {@link OptimizerInputError} (`non-finite-gradient` or `non-finite-parameters`).
 *
 * @category TensorFlow.js
 */
export function checkFiniteNorms(layers: readonly VariableLayer[], norms: Float64Array): void {
  const bad = firstNonFiniteNorm(layers, norms);
  if (bad === null) return;
  const { layer } = bad;
  if (bad.what === 'gradient') {
    throw new OptimizerInputError(
      'non-finite-gradient',
      `the gradient of variable ${layer.index} (${layer.name}) holds NaN or ±Infinity (or values whose float32 squares overflow); nothing was changed`,
    );
  }
  throw new OptimizerInputError(
    'non-finite-parameters',
    `variable ${layer.index} (${layer.name}) holds NaN or ±Infinity (or values whose float32 squares overflow); nothing was changed`,
  );
}
