// Picks the worker threads of this runtime. The browser bundle swaps
// nodeThreadHost.ts for nodeThreadHost.browser.ts (scripts/build-browser.mjs),
// so it holds no Node built-in.
import { nodeThreadHost } from './nodeThreadHost.js';
import type { ThreadHost } from './threadHost.js';
import { webThreadHost } from './webThreadHost.js';

/**
 * The worker threads of this runtime (Node first, then Web Workers), or a plain-language reason why there are none.
 *
 * @category Backends
 */
export function findThreadHost(): ThreadHost | string {
  return nodeThreadHost() ?? webThreadHost();
}

/**
 * Why `cpuThreads` above 1 runs on one thread here, or null when worker threads can start.
 *
 * @category Backends
 */
export function threadsUnavailableReason(): string | null {
  const host = findThreadHost();
  return typeof host === 'string' ? host : null;
}
