/**
 * tfjs-layers passes a saved training config through `convertPythonicToTs`,
 * which rewrites every string with an underscore into camelCase
 * (`dense_Dense1/kernel` becomes `denseDense1/kernel`). The adapter's config
 * therefore stores strings with `%` and `_` escaped, so that they come back
 * unchanged from a saved model.
 */

/**
 * Escapes `%` and `_` in every string inside `value` (objects and arrays are copied).
 *
 * @category TensorFlow.js
 */
export function escapeConfigStrings<T>(value: T): T {
  return mapStrings(value, (s) => s.replace(/%/g, '%25').replace(/_/g, '%5F')) as T;
}

/**
 * Undoes {@link escapeConfigStrings}.
 *
 * @category TensorFlow.js
 */
export function unescapeConfigStrings<T>(value: T): T {
  return mapStrings(value, (s) => s.replace(/%5F/g, '_').replace(/%25/g, '%')) as T;
}

function mapStrings(value: unknown, f: (s: string) => string): unknown {
  if (typeof value === 'string') return f(value);
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, f));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) out[key] = mapStrings((value as Record<string, unknown>)[key], f);
    return out;
  }
  return value;
}
