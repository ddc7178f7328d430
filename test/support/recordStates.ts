import type { BackendState, OptimizerBackend } from '../../src/core/OptimizerBackend.js';

/** Makes `backend` record every state it creates, in order, into the returned list (for tests that check what a step created). */
export function recordStates(backend: OptimizerBackend): BackendState[] {
  const states: BackendState[] = [];
  const create = backend.createState.bind(backend);
  backend.createState = (plan, dtype) => {
    const state = create(plan, dtype);
    states.push(state);
    return state;
  };
  return states;
}
