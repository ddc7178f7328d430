import { OptimizerInputError } from '../core/OptimizerInputError.js';
import type { ParameterKind } from '../models/ParameterLayout.js';
import type { LayerFlags } from '../optimizers/stepCoefficients.js';

/**
 * Decides the kind of a tfjs variable from its name and shape; return
 * `undefined` to keep the default (rank ≤ 1: `'bias'`, else `'weight'`).
 *
 * @category TensorFlow.js
 */
export type VariableKindRule = (name: string, shape: readonly number[]) => ParameterKind | undefined;

/**
 * Variables chosen by name: a list of exact names, or a pattern tested against each name.
 *
 * @category TensorFlow.js
 */
export type VariableNameSelection = readonly string[] | RegExp;

/**
 * One variable as the layer split sees it.
 *
 * @category TensorFlow.js
 */
export interface VariableDescription {
  /** The name momentum is keyed by (the model's own weight name when known). */
  readonly key: string;
  /** The name the tfjs engine registered (may carry a `_1` suffix tfjs-layers added). */
  readonly engineName: string;
  /** The variable's shape. */
  readonly shape: readonly number[];
}

/**
 * How LARS treats one variable: the core's flags plus its name and kind, for messages.
 *
 * @category TensorFlow.js
 */
export interface VariableLayer extends LayerFlags {
  /** The momentum key of the variable. */
  readonly name: string;
  /** Its kind: bias and norm variables are excluded from LARS with `excludeBiasFromLARS`. */
  readonly kind: ParameterKind;
}

/**
 * What decides each variable's flags.
 *
 * @category TensorFlow.js
 */
export interface VariableLayerRules {
  /** Whether bias and norm variables get ratio 1 and no weight decay. */
  readonly excludeBiasFromLARS: boolean;
  /** Positions (in the order the gradients come) that use ratio 1 but keep weight decay, or null. */
  readonly skipLARSLayers: readonly number[] | null;
  /** Variables, by name, that use ratio 1 but keep weight decay, or null. */
  readonly skipLayerNames: VariableNameSelection | null;
  /** Overrides the rank-based kind, or null. */
  readonly kindOf: VariableKindRule | null;
}

/** The names a listed name may match: the key, the engine name, and both without tfjs-layers' `_N` suffix. */
function namesOf(v: VariableDescription): string[] {
  return [v.key, v.engineName, withoutUniqueSuffix(v.key), withoutUniqueSuffix(v.engineName)];
}

/**
 * A name without the `_N` suffix tfjs-layers adds to make variable names unique (`dense/kernel_1` → `dense/kernel`).
 *
 * @category TensorFlow.js
 */
export function withoutUniqueSuffix(name: string): string {
  return name.replace(/_\d+$/, '');
}

/**
 * The default kind of a variable: rank ≤ 1 (bias, normalization scale and offset) is `'bias'`, else `'weight'`.
 *
 * @category TensorFlow.js
 */
export function defaultVariableKind(shape: readonly number[]): ParameterKind {
  return shape.length <= 1 ? 'bias' : 'weight';
}

/**
 * One LARS layer per variable, in order, with the trust ratio and weight decay
 * flags the core's per-layer math reads.
 *
 * @throws {@link OptimizerInputError} (`invalid-layout`) when a skipped index
 * does not exist, a skipped name matches no variable, or `kindOf` returns
 * something other than a kind.
 *
 * @category TensorFlow.js
 */
export function variableLayers(variables: readonly VariableDescription[], rules: VariableLayerRules): VariableLayer[] {
  const skipIndex = new Set(rules.skipLARSLayers ?? []);
  for (const index of skipIndex) {
    if (index >= variables.length) {
      throw new OptimizerInputError(
        'invalid-layout',
        `skipLARSLayers names layer ${index}, but ${variables.length} variable(s) are being trained (indices 0..${variables.length - 1}); ` +
          'to skip variables by name whatever their position, use skipLayerNames',
      );
    }
  }
  const names = rules.skipLayerNames;
  if (Array.isArray(names)) {
    const known = new Set(variables.flatMap(namesOf));
    const missing = names.filter((n) => !known.has(n));
    if (missing.length > 0) {
      throw new OptimizerInputError(
        'invalid-layout',
        `skipLayerNames lists ${missing.map((n) => JSON.stringify(n)).join(', ')}, which match no trained variable; ` +
          `the variables are ${variables.map((v) => JSON.stringify(v.key)).join(', ')}`,
      );
    }
  }
  const skippedByName = (v: VariableDescription): boolean => {
    if (names === null) return false;
    if (names instanceof RegExp) {
      names.lastIndex = 0;
      const byKey = names.test(v.key);
      names.lastIndex = 0;
      return byKey || names.test(v.engineName);
    }
    return namesOf(v).some((n) => (names as readonly string[]).includes(n));
  };
  return variables.map((v, index) => {
    const chosen = rules.kindOf?.(v.key, v.shape);
    if (chosen !== undefined && chosen !== 'weight' && chosen !== 'bias' && chosen !== 'norm') {
      throw new OptimizerInputError(
        'invalid-layout',
        `kindOf returned ${JSON.stringify(chosen)} for variable ${v.key}; expected 'weight', 'bias', 'norm' or undefined`,
      );
    }
    const kind = chosen ?? defaultVariableKind(v.shape);
    const excluded = rules.excludeBiasFromLARS && kind !== 'weight';
    return {
      index,
      name: v.key,
      kind,
      adapt: !excluded && !skipIndex.has(index) && !skippedByName(v),
      decay: !excluded,
    };
  });
}
