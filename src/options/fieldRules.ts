import { z } from 'zod';

/**
 * Small zod building blocks shared by every options level, so that one rule is
 * phrased one way everywhere. Each carries its rule in its error message; the
 * field name comes from the path.
 */

/**
 * A finite number strictly greater than zero.
 *
 * @category Options
 */
export const positiveNumber = () =>
  z.number({ error: 'must be a finite number > 0' }).gt(0, { error: 'must be a finite number > 0' });

/**
 * A finite number greater than or equal to zero.
 *
 * @category Options
 */
export const nonNegativeNumber = () =>
  z.number({ error: 'must be a finite number >= 0' }).gte(0, { error: 'must be a finite number >= 0' });

/**
 * An integer greater than or equal to `min`.
 *
 * @category Options
 */
export const integerAtLeast = (min: number) =>
  z
    .number({ error: `must be an integer >= ${min}` })
    .int({ error: `must be an integer >= ${min}` })
    .gte(min, { error: `must be an integer >= ${min}` });

/**
 * A finite number in the half-open interval [0, 1).
 *
 * @category Options
 */
export const unitIntervalOpenAbove = () =>
  z
    .number({ error: 'must be a finite number in [0, 1)' })
    .gte(0, { error: 'must be in [0, 1)' })
    .lt(1, { error: 'must be in [0, 1)' });

/**
 * A finite number in the closed interval [0, 1].
 *
 * @category Options
 */
export const unitIntervalClosed = () =>
  z
    .number({ error: 'must be a finite number in [0, 1]' })
    .gte(0, { error: 'must be in [0, 1]' })
    .lte(1, { error: 'must be in [0, 1]' });

/**
 * A boolean flag.
 *
 * @category Options
 */
export const flag = () => z.boolean({ error: 'must be true or false' });

/**
 * An array of strictly increasing positive integers, or null.
 *
 * @category Options
 */
export const strictlyIncreasingPositiveIntegers = () =>
  z
    .array(z.number({ error: 'must be a positive integer' }).int({ error: 'must be a positive integer' }).gt(0, {
      error: 'must be a positive integer',
    }), { error: 'must be an array of strictly increasing positive integers, or null' })
    .check((ctx) => {
      for (let i = 1; i < ctx.value.length; i++) {
        if (!(ctx.value[i] > ctx.value[i - 1])) {
          ctx.issues.push({
            code: 'custom',
            input: ctx.value,
            path: [i],
            message: `must be strictly increasing: ${ctx.value[i]} does not exceed ${ctx.value[i - 1]}`,
          });
        }
      }
    })
    .nullable();

/**
 * An array of unique non-negative integers, or null.
 *
 * @category Options
 */
export const uniqueNonNegativeIntegers = () =>
  z
    .array(z.number({ error: 'must be a non-negative integer' }).int({ error: 'must be a non-negative integer' }).gte(0, {
      error: 'must be a non-negative integer',
    }), { error: 'must be an array of unique non-negative integers, or null' })
    .check((ctx) => {
      const seen = new Set<number>();
      ctx.value.forEach((v, i) => {
        if (seen.has(v)) {
          ctx.issues.push({ code: 'custom', input: ctx.value, path: [i], message: `must be unique: ${v} appears twice` });
        }
        seen.add(v);
      });
    })
    .nullable();

/**
 * An integer percentile in [1, 100] (percentile clipping).
 *
 * @category Options
 */
export const percentile = () =>
  z
    .number({ error: 'must be an integer in [1, 100]' })
    .int({ error: 'must be an integer in [1, 100]' })
    .gte(1, { error: 'must be an integer in [1, 100]' })
    .lte(100, { error: 'must be an integer in [1, 100]' });

/**
 * Bits per optimizer-state element: 8 or 32.
 *
 * @category Options
 */
export const stateBits = () => z.union([z.literal(8), z.literal(32)], { error: 'must be 8 or 32' });

/**
 * One of `choices`, with an error that lists them.
 *
 * @category Options
 */
export const oneOf = <const C extends readonly [string, ...string[]]>(choices: C) =>
  z.enum(choices, { error: `must be one of ${choices.map((s) => `'${s}'`).join(', ')}` });
