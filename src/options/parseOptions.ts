import { z } from 'zod';
import { OptionsValidationError, type OptionsProblem } from './OptionsValidationError.js';
import { closestName } from '../util/closestName.js';
import { givenFields } from './givenFields.js';

/**
 * Validates `input` against `schema`, fills the defaults, and returns the
 * parsed values. Only the fields given count (see {@link givenFields}):
 * inherited properties are not read and `undefined` means "not given". On failure it throws one {@link OptionsValidationError} that
 * lists every problem, each naming its field and rule.
 *
 * @param schema - the zod schema of an options level.
 * @param input - a plain partial object, as a user or a JSON file gives it.
 * @param optionsClass - the class name shown in the error.
 *
 * @category Options
 */
export function parseOptions<S extends z.ZodType>(schema: S, input: unknown, optionsClass: string): z.output<S> {
  const result = schema.safeParse(givenFields(input ?? {}));
  if (result.success) return result.data;
  const knownKeys = schemaKeys(schema);
  const problems: OptionsProblem[] = [];
  for (const issue of result.error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const hint = closestName(key, knownKeys);
        problems.push({
          path: joinPath([...issue.path, key]),
          message: `unknown option${hint === undefined ? '' : ` (did you mean ${hint}?)`}`,
        });
      }
      continue;
    }
    const got = valueAt(input, issue.path);
    const shown = got === undefined ? '' : ` (got ${formatValue(got)})`;
    problems.push({ path: joinPath(issue.path), message: `${issue.message}${shown}` });
  }
  throw new OptionsValidationError(optionsClass, problems, result.error.issues);
}

function schemaKeys(schema: z.ZodType): string[] {
  const shape = (schema as unknown as { shape?: Record<string, unknown> }).shape;
  if (shape !== undefined) return Object.keys(shape);
  const inner = (schema as unknown as { _zod: { def: { in?: z.ZodType; schema?: z.ZodType } } })._zod.def;
  const wrapped = inner.in ?? inner.schema;
  return wrapped === undefined ? [] : schemaKeys(wrapped);
}

function joinPath(path: readonly PropertyKey[]): string {
  return path.map((p) => String(p)).join('.');
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value: unknown = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function formatValue(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  try {
    const text = JSON.stringify(value);
    return text.length > 60 ? `${text.slice(0, 57)}...` : text;
  } catch {
    return typeof value;
  }
}
