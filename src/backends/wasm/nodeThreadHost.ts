// Node's side of threadHost.ts: worker_threads, reached through
// process.getBuiltinModule (no static import, so browsers can load this file).
import type { KernelWorkerInput, ThreadHost } from './threadHost.js';
import { threadMayBlock } from './threadHost.js';

type WorkerThreads = typeof import('node:worker_threads');
type NodeProcess = { getBuiltinModule?: (id: string) => unknown };

function builtin<M>(id: string): M | undefined {
  const proc = (globalThis as { process?: NodeProcess }).process;
  return typeof proc?.getBuiltinModule === 'function' ? (proc.getBuiltinModule(id) as M | undefined) : undefined;
}

/**
 * Node's worker threads (Node ≥ 20.16, a thread that may block), or null outside Node.
 *
 * @category Backends
 */
export function nodeThreadHost(): ThreadHost | null {
  if (typeof SharedArrayBuffer !== 'function' || !threadMayBlock()) return null;
  const wt = builtin<WorkerThreads>('node:worker_threads');
  const os = builtin<typeof import('node:os')>('node:os');
  if (wt === undefined || os === undefined) return null;
  return {
    kind: 'node',
    cores: typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length,
    canBlock: true,
    spawn(input: KernelWorkerInput, onExit: () => void) {
      const worker = new wt.Worker(new URL('./wasmWorker.js', import.meta.url), { workerData: input });
      worker.unref();
      worker.on('error', onExit);
      worker.once('exit', onExit);
      return { terminate: () => worker.terminate().then(() => undefined) };
    },
  };
}

/**
 * In a Node kernel worker, what the pool passed it; null elsewhere.
 *
 * @category Backends
 */
export function nodeWorkerInput(): KernelWorkerInput | null {
  const wt = builtin<WorkerThreads>('node:worker_threads');
  return wt === undefined || wt.isMainThread ? null : (wt.workerData as KernelWorkerInput);
}
