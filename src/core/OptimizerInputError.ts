/**
 * What was wrong with the input to a step:
 * - `'length-mismatch'`: parameters and gradient (or the layout) differ in length;
 * - `'dtype-mismatch'`: parameters, gradient or optimizer state differ in numeric type;
 * - `'non-finite-gradient'`: the gradient holds NaN or ±Infinity;
 * - `'non-finite-parameters'`: the parameters hold NaN or ±Infinity;
 * - `'invalid-layout'`: layer boundaries, skip list or layout do not fit the vector;
 * - `'invalid-state'`: a saved state does not fit this optimizer;
 * - `'disposed'`: the optimizer was disposed;
 * - `'busy'`: `optimize()` is already running on this optimizer.
 *
 * @category Backends
 */
export type OptimizerInputErrorCode =
  | 'length-mismatch'
  | 'dtype-mismatch'
  | 'non-finite-gradient'
  | 'non-finite-parameters'
  | 'invalid-layout'
  | 'invalid-state'
  | 'disposed'
  | 'busy';

/**
 * Thrown when a step, a layout or a saved state is unusable. Nothing has
 * changed when it is thrown: not the parameters, not the optimizer's state.
 *
 * @category Errors
 */
export class OptimizerInputError extends Error {
  /** Which kind of problem this is; stable for programs to branch on. */
  readonly code: OptimizerInputErrorCode;

  constructor(code: OptimizerInputErrorCode, message: string) {
    super(message);
    this.name = 'OptimizerInputError';
    this.code = code;
  }
}
