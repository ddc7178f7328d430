// The browser bundle's stand-in for nodeThreadHost.ts (swapped in by
// scripts/build-browser.mjs): no Node, so no Node built-ins in the bundle.
import type { KernelWorkerInput, ThreadHost } from './threadHost.js';

/**
 * Always null: browsers have no worker_threads.
 *
 * @category Backends
 */
export function nodeThreadHost(): ThreadHost | null {
  return null;
}

/**
 * Always null: a browser kernel worker gets its input as a message.
 *
 * @category Backends
 */
export function nodeWorkerInput(): KernelWorkerInput | null {
  return null;
}
