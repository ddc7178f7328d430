import type { LayerPlan } from '../core/LayerPlan.js';
import type { BackendState, OptimizerBackend } from '../core/OptimizerBackend.js';
import { OptimizerInputError } from '../core/OptimizerInputError.js';
import { PartialStepError } from '../core/PartialStepError.js';
import type { NumericType } from '../numeric/NumericType.js';
import { createCpuBackend } from './createCpuBackend.js';
import { CpuBackend } from './js/CpuBackend.js';
import { threadOptions, type CpuThreads } from './selectBackend.js';
import { WasmBackend } from './wasm/WasmBackend.js';
import { threadsUnavailableReason } from './wasm/findThreadHost.js';

/**
 * The backend an optimizer computes on, the momentum state it holds there,
 * and the way down when it fails: GPU → WebAssembly → JS loops. A move
 * carries the state across exactly (snapshot, restore) and says so once
 * through `warn`. The optimizer keeps the books and never names a backend;
 * a new backend joins by being selectable and failing over to the CPU.
 *
 * @category Backends
 */
export class BackendChain {
  private current: OptimizerBackend;
  private held: BackendState | null = null;
  private heldPlan: LayerPlan | null = null;
  private readonly cpuThreads: CpuThreads;
  private readonly warn: (message: string) => void;

  /**
   * @param backend - where to start.
   * @param cpuThreads - threads for the WebAssembly backend a GPU falls back to.
   * @param warn - where each move's warning goes, and why `cpuThreads` above 1 runs on one thread.
   */
  constructor(backend: OptimizerBackend, cpuThreads: CpuThreads, warn: (message: string) => void) {
    this.current = backend;
    this.cpuThreads = cpuThreads;
    this.warn = warn;
    const single = cpuThreads !== 1 && backend instanceof WasmBackend && backend.threads === null ? threadsUnavailableReason() : null;
    if (single !== null) warn(`cpuThreads ${cpuThreads}: running on one thread, because ${single}`);
  }

  /** The backend in use now. */
  get backend(): OptimizerBackend {
    return this.current;
  }

  /** The momentum state on {@link backend}, or null when there is none (before the first step, momentum 0). */
  get state(): BackendState | null {
    return this.held;
  }

  /**
   * Replaces the held state (disposing the old one). The new one must live
   * on {@link backend} and be laid out for `plan`.
   */
  replaceState(state: BackendState | null, plan: LayerPlan | null): void {
    if (state !== this.held) this.held?.dispose();
    this.held = state;
    this.heldPlan = state === null ? null : plan;
  }

  /** Whether {@link fitFor} would move to another backend for `dtype` and `plan`. */
  wouldMove(dtype: NumericType, plan: LayerPlan): boolean {
    return unfitFor(this.current, dtype, plan) !== null;
  }

  /**
   * Moves down, with a warning, until the backend can compute in `dtype`
   * without losing precision and hold the plan's 8-bit state.
   */
  fitFor(dtype: NumericType, plan: LayerPlan): void {
    for (let why = unfitFor(this.current, dtype, plan); why !== null; why = unfitFor(this.current, dtype, plan)) {
      const from = this.current.name;
      this.moveDown();
      this.warn(`backend ${from} ${why}; using the CPU backend (${this.current.name})`);
    }
  }

  /**
   * Runs `work` on the backend. If a backend other than the JS loops fails,
   * moves one backend down with a warning, carrying the momentum state
   * across, and runs it there. Input errors are not backend failures and
   * pass through, and so does a {@link PartialStepError}: work that may have
   * partly written is never run a second time.
   */
  run<R>(work: (backend: OptimizerBackend) => R): R {
    for (;;) {
      try {
        const result = work(this.current);
        for (const message of this.current.takeWarnings?.() ?? []) this.warn(`backend ${this.current.name}: ${message}`);
        return result;
      } catch (error) {
        if (error instanceof OptimizerInputError || error instanceof PartialStepError || this.current instanceof CpuBackend) throw error;
        const from = this.current.name;
        this.moveDown();
        this.warn(`backend ${from} failed (${(error as Error).message}); continuing on the CPU backend (${this.current.name})`);
      }
    }
  }

  /** Frees the state and the backend. */
  dispose(): void {
    this.replaceState(null, null);
    this.current.dispose();
  }

  /**
   * Moves to the next backend down: from a GPU (or any other backend) to the
   * fastest CPU backend, from WebAssembly to the JS loops, which run
   * everything. The state goes straight to the JS loops when the next
   * backend could not hold it.
   */
  private moveDown(): void {
    const plan = this.heldPlan;
    let next: OptimizerBackend =
      this.current instanceof WasmBackend ? new CpuBackend() : createCpuBackend(threadOptions(this.cpuThreads));
    if (this.held !== null && plan !== null) {
      const snapshot = this.held.snapshot();
      if (unfitFor(next, snapshot.dtype, plan) !== null) {
        next.dispose();
        next = new CpuBackend();
      }
      const moved = next.createState(plan, snapshot.dtype);
      moved.restore(snapshot);
      this.held.dispose();
      this.held = moved;
    }
    this.current.dispose();
    this.current = next;
  }
}

/** Why `backend` cannot run `plan` in `dtype` (as a clause after its name), or null when it can. */
function unfitFor(backend: OptimizerBackend, dtype: NumericType, plan: LayerPlan): string | null {
  if (!backend.supports(dtype)) return `cannot compute in ${dtype} without losing precision`;
  if (plan.segments.some((s) => s.stateBits === 8) && !backend.supportsStateBits(8)) return 'cannot hold 8-bit optimizer state';
  return null;
}
