import type { z } from 'zod';

/**
 * One problem found while validating options: where it is and what rule it broke.
 *
 * @category Options
 */
export interface OptionsProblem {
  /** The dotted path to the offending field, e.g. `momentum` or `layerBoundaries.2`; empty for the whole object. */
  readonly path: string;
  /** The rule that was broken, in plain words. */
  readonly message: string;
}

/**
 * Thrown when options fail validation. It reports every problem at once, each
 * naming its field and the rule it broke, and keeps zod's raw issues in
 * {@link OptionsValidationError.issues} for programs that want them.
 *
 * @category Errors
 */
export class OptionsValidationError extends Error {
  /** The options class that rejected the input, e.g. `LARSOptimizerOptions`. */
  readonly optionsClass: string;
  /** Every problem found, one per broken rule. */
  readonly problems: readonly OptionsProblem[];
  /** zod's own issues, untouched. */
  readonly issues: readonly z.core.$ZodIssue[];

  constructor(optionsClass: string, problems: readonly OptionsProblem[], issues: readonly z.core.$ZodIssue[]) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    const lines = problems.map((p) => `  - ${p.path === '' ? '(options)' : p.path}: ${p.message}`);
    super(`Invalid ${optionsClass} (${count}):\n${lines.join('\n')}`);
    this.name = 'OptionsValidationError';
    this.optionsClass = optionsClass;
    this.problems = Object.freeze([...problems]);
    this.issues = Object.freeze([...issues]);
  }
}
