import type { BackendState, OptimizerBackend } from '../../src/core/OptimizerBackend.js';

/** The optimizer's private backend chain, read by tests that must prove which backend and state really ran. */
interface WithChain {
  readonly chain: { readonly backend: OptimizerBackend; readonly state: BackendState | null };
}

/** The backend an optimizer computes on now (a test seam: the optimizer keeps it private). */
export function backendOf<B extends OptimizerBackend = OptimizerBackend>(optimizer: object): B {
  return (optimizer as WithChain).chain.backend as B;
}

/** The momentum state an optimizer holds now, or null (a test seam: the optimizer keeps it private). */
export function stateOf<S extends BackendState = BackendState>(optimizer: object): S {
  return (optimizer as WithChain).chain.state as S;
}
