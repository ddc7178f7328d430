// A browser's side of threadHost.ts: module Web Workers over the shared
// WebAssembly memory, which browsers allow only in a cross-origin-isolated
// page (COOP same-origin + COEP require-corp).
import type { KernelWorkerInput, ThreadHost } from './threadHost.js';
import { threadMayBlock } from './threadHost.js';

// The browser bundle defines this as the worker's own bundled source
// (scripts/build-browser.mjs), so the bundle is one self-contained file.
declare const __LARS_WASM_WORKER_SOURCE__: string | undefined;

/**
 * What a page must do to get threads, in warnings.
 *
 * @category Backends
 */
export const CROSS_ORIGIN_ISOLATION_HINT =
  'the page is not cross-origin isolated, so it cannot share memory with Web Workers; serve it with the headers ' +
  '"Cross-Origin-Opener-Policy: same-origin" and "Cross-Origin-Embedder-Policy: require-corp"';

let scriptUrl: string | URL | null = null;

/** The worker script: the inlined source as a blob URL in the bundle, else wasmWorker.js beside this file. */
function workerScript(): string | URL {
  if (scriptUrl === null) {
    scriptUrl =
      typeof __LARS_WASM_WORKER_SOURCE__ === 'string'
        ? URL.createObjectURL(new Blob([__LARS_WASM_WORKER_SOURCE__], { type: 'text/javascript' }))
        : new URL('./wasmWorker.js', import.meta.url);
  }
  return scriptUrl;
}

/**
 * Web Workers when this page is cross-origin isolated, else the reason there are no threads.
 *
 * @category Backends
 */
export function webThreadHost(): ThreadHost | string {
  const g = globalThis as { crossOriginIsolated?: boolean; navigator?: { hardwareConcurrency?: number } };
  if (typeof Worker !== 'function') return 'this runtime has neither Node worker_threads (Node ≥ 20.16) nor Web Workers';
  if (g.crossOriginIsolated !== true || typeof SharedArrayBuffer !== 'function') return CROSS_ORIGIN_ISOLATION_HINT;
  return {
    kind: 'web',
    cores: Math.max(1, g.navigator?.hardwareConcurrency ?? 1),
    canBlock: threadMayBlock(),
    spawn(input: KernelWorkerInput, onExit: () => void) {
      const worker = new Worker(workerScript(), { type: 'module', name: `lars-ts kernels ${input.slot}` });
      let exited = false;
      const exit = () => {
        if (exited) return;
        exited = true;
        onExit();
      };
      worker.addEventListener('error', exit);
      worker.addEventListener('messageerror', exit);
      worker.postMessage(input);
      return {
        terminate() {
          worker.terminate();
          exit();
          return Promise.resolve();
        },
      };
    },
  };
}

/**
 * In a browser kernel worker: the pool's first message.
 *
 * @category Backends
 */
export function webWorkerInput(): Promise<KernelWorkerInput> {
  return new Promise((resolve) => {
    globalThis.addEventListener('message', (e) => resolve((e as MessageEvent<KernelWorkerInput>).data), { once: true });
  });
}
