// The browser bundle's stand-in for denseThreadHost.ts (swapped in by
// scripts/build-browser.mjs): the threaded dense products are Node-only.
import type { DenseThreadHost, DenseWorkerInput } from './denseThreadHost.js';

/**
 * Always a reason: in a browser the dense products run on one thread.
 *
 * @category Models
 */
export function denseThreadHost(): DenseThreadHost | string {
  return 'dense products run on worker threads only in Node; in a browser they run on one thread';
}

/**
 * Always null: there are no dense workers in a browser.
 *
 * @category Models
 */
export function denseWorkerInput(): DenseWorkerInput | null {
  return null;
}
