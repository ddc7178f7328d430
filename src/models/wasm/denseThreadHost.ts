// Node's worker_threads for DenseThreads, reached through
// process.getBuiltinModule (no static import, so browsers can load this
// file); the browser bundle swaps in denseThreadHost.browser.ts.
import { threadMayBlock } from '../../backends/wasm/threadHost.js';

type WorkerThreads = typeof import('node:worker_threads');
type NodeProcess = { getBuiltinModule?: (id: string) => unknown };

/**
 * What each dense worker receives when it starts.
 *
 * @category Models
 */
export interface DenseWorkerInput {
  /** The arena's shared memory. */
  readonly memory: WebAssembly.Memory;
  /** The dense kernel module compiled for a shared memory. */
  readonly module: WebAssembly.Module;
  /** Byte address of the control block. */
  readonly control: number;
  /** This worker's slot index. */
  readonly slot: number;
  /** Workers in all (slots before the block table). */
  readonly workers: number;
  /** Polls of the handshake word before sleeping in `Atomics.wait`. */
  readonly spin: number;
}

/**
 * Starts dense workers in one runtime.
 *
 * @category Models
 */
export interface DenseThreadHost {
  /** Logical cores, for `threads: 'auto'`. */
  readonly cores: number;
  /** Starts one worker (unref'd: it keeps no process alive); `onExit` runs once when it errs (with the error) or exits. */
  spawn(input: DenseWorkerInput, onExit: (error?: unknown) => void): { terminate(): Promise<void> };
}

function builtin<M>(id: string): M | undefined {
  const proc = (globalThis as { process?: NodeProcess }).process;
  return typeof proc?.getBuiltinModule === 'function' ? (proc.getBuiltinModule(id) as M | undefined) : undefined;
}

/**
 * Node's worker threads (Node ≥ 20.16, on a thread that may block), or why there are none.
 *
 * @category Models
 */
export function denseThreadHost(): DenseThreadHost | string {
  if (typeof SharedArrayBuffer !== 'function' || !threadMayBlock()) return 'this thread may not block or has no SharedArrayBuffer';
  const wt = builtin<WorkerThreads>('node:worker_threads');
  const os = builtin<typeof import('node:os')>('node:os');
  if (wt === undefined || os === undefined) return 'dense products run on worker threads only in Node ≥ 20.16 (worker_threads)';
  return {
    cores: typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length,
    spawn(input, onExit) {
      const worker = new wt.Worker(new URL('./denseWorker.js', import.meta.url), { workerData: input });
      worker.unref();
      let exited = false;
      const exit = (error?: unknown) => {
        if (exited) return;
        exited = true;
        onExit(error);
      };
      worker.on('error', exit);
      worker.once('exit', () => exit());
      return { terminate: () => worker.terminate().then(() => undefined) };
    },
  };
}

/**
 * In a Node dense worker, what DenseThreads passed it; null elsewhere.
 *
 * @category Models
 */
export function denseWorkerInput(): DenseWorkerInput | null {
  const wt = builtin<WorkerThreads>('node:worker_threads');
  return wt === undefined || wt.isMainThread ? null : (wt.workerData as DenseWorkerInput);
}
