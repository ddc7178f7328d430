import type { WasmHeap } from './WasmHeap.js';

/**
 * Shared WebAssembly memories that disposed backends left with nothing in
 * them, kept for the next backend. V8 does not count a shared memory toward
 * the pressure that starts garbage collection, so memories dropped in a loop
 * of create/step/dispose would pile up (gigabytes) until something else
 * triggers a collection; reusing them keeps memory flat. At most
 * {@link MAX_KEPT_HEAPS} are kept; ordinary (non-shared) memories are
 * collected normally and are not kept.
 */
const kept: WasmHeap[] = [];

/**
 * How many empty shared memories are kept for reuse at most.
 *
 * @category Backends
 */
export const MAX_KEPT_HEAPS = 2;

/**
 * Keeps `heap` for reuse. Only for a heap that nothing uses any more (no vector, state or running thread of its old owner).
 *
 * @category Backends
 */
export function recycleHeap(heap: WasmHeap): void {
  if (!heap.shared || kept.length >= MAX_KEPT_HEAPS || kept.includes(heap)) return;
  heap.reset();
  kept.push(heap);
}

/**
 * A kept shared heap, emptied, or null when none is kept.
 *
 * @category Backends
 */
export function takeRecycledHeap(): WasmHeap | null {
  return kept.pop() ?? null;
}
