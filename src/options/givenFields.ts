/**
 * The fields a user really gave in `input`: its own enumerable properties
 * (never inherited ones, e.g. from a polluted `Object.prototype`), without
 * those set to `undefined` (which means "not given": keep the value already
 * there, or the default), copied into objects without a prototype, through
 * nested plain objects and arrays. Anything else is returned as it is.
 *
 * @category Options
 */
export function givenFields(input: unknown): unknown {
  if (Array.isArray(input)) return input.map((item) => givenFields(item));
  if (input === null || typeof input !== 'object' || !isPlainObject(input)) return input;
  const out = Object.create(null) as Record<string, unknown>;
  for (const key of Object.keys(input)) {
    const value = (input as Record<string, unknown>)[key];
    if (value !== undefined) out[key] = givenFields(value);
  }
  return out;
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
