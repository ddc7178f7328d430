// How WasmThreadPool starts kernel workers and waits for them, per runtime:
// Node's worker_threads (nodeThreadHost.ts) or a browser's Web Workers
// (webThreadHost.ts), chosen by findThreadHost.ts. No imports here.

/**
 * What each kernel worker receives when it starts.
 *
 * @category Backends
 */
export interface KernelWorkerInput {
  /** The backend's shared memory. */
  readonly memory: WebAssembly.Memory;
  /** The kernel module compiled for a shared memory. */
  readonly module: WebAssembly.Module;
  /** Byte address of the control block. */
  readonly control: number;
  /** This worker's slot index. */
  readonly slot: number;
  /** Polls of the handshake word before sleeping in `Atomics.wait`. */
  readonly spin: number;
}

/**
 * A started kernel worker, as the pool sees it.
 *
 * @category Backends
 */
export interface KernelWorker {
  /** Stops the worker; resolves once it is stopped (at once for a Web Worker). */
  terminate(): Promise<void>;
}

/**
 * Worker threads of one runtime.
 *
 * @category Backends
 */
export interface ThreadHost {
  /** `'node'` (worker_threads) or `'web'` (Web Workers). */
  readonly kind: 'node' | 'web';
  /** Logical cores, for `threads: 'auto'`. */
  readonly cores: number;
  /**
   * Whether the calling thread may block in `Atomics.wait` (not a browser's
   * main thread); when it may not, the pool polls instead.
   */
  readonly canBlock: boolean;
  /** Starts one worker; `onExit` runs once when it errs or exits. */
  spawn(input: KernelWorkerInput, onExit: () => void): KernelWorker;
}

/**
 * Whether this thread may block in `Atomics.wait` (false on a browser's main thread).
 *
 * @category Backends
 */
export function threadMayBlock(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * `Atomics.wait(i32, index, value, ms)` where this thread may block, else a
 * poll of the word for up to `ms` milliseconds (a browser's main thread,
 * where the workers run on other cores meanwhile). Same results.
 *
 * @category Backends
 */
export function waitOnWord(canBlock: boolean, i32: Int32Array, index: number, value: number, ms: number): 'ok' | 'not-equal' | 'timed-out' {
  if (canBlock) return Atomics.wait(i32, index, value, ms);
  if (Atomics.load(i32, index) !== value) return 'not-equal';
  const until = performance.now() + ms;
  while (performance.now() < until) if (Atomics.load(i32, index) !== value) return 'ok';
  return 'timed-out';
}
