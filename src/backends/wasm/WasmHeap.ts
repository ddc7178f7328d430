import { type ArrayFor, type NumericType } from '../../numeric/NumericType.js';

/** Alignment of every block: one cache line. */
const ALIGN = 64;
/**
 * Bytes at address 0 reserved as scratch for small kernel outputs.
 *
 * @category Backends
 */
export const SCRATCH_BYTES = 64;
const PAGE = 65536;

/**
 * One WebAssembly memory and a first-fit allocator over it. The backend
 * places parameters, gradients and momentum state here so that its kernels
 * read them in place.
 *
 * Growing a memory detaches every view of an ordinary (non-shared) memory,
 * but not of a shared one: a shared memory's old views stay valid over the
 * bytes they covered. So vectors handed to users are views of a shared
 * memory only; with an ordinary memory the heap creates views just in time
 * and never keeps one across an allocation.
 *
 * @category Backends
 */
export class WasmHeap {
  /** The memory the kernels import. */
  readonly memory: WebAssembly.Memory;
  /** Whether {@link WasmHeap.memory} is shared (views survive growth). */
  readonly shared: boolean;
  private readonly buffers = new WeakSet<ArrayBufferLike>();
  private free: { start: number; end: number }[] = [];
  private top = SCRATCH_BYTES;
  /** Blocks never to be handed out again (see {@link WasmHeap.retire}), sorted by address. */
  private retired: { start: number; end: number }[] = [];
  private live = 0;

  /** @param shared - use a shared memory (needs `SharedArrayBuffer`). */
  constructor(shared: boolean) {
    this.shared = shared;
    this.memory = shared
      ? new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true })
      : new WebAssembly.Memory({ initial: 1 });
    this.buffers.add(this.memory.buffer);
  }

  /**
   * A zeroed block of `bytes` bytes, 64-byte aligned; grows the memory when needed.
   *
   * @throws RangeError when the 4 GiB address space of wasm32 is exhausted.
   */
  allocate(bytes: number): number {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    let address = -1;
    const i = this.free.findIndex((b) => b.end - b.start >= size);
    if (i >= 0) {
      const block = this.free[i];
      address = block.start;
      block.start += size;
      if (block.start === block.end) this.free.splice(i, 1);
    } else {
      address = this.top;
      const needed = address + size;
      if (needed > 2 ** 32) throw new RangeError(`WebAssembly memory is full: cannot allocate ${bytes} more bytes`);
      const have = this.memory.buffer.byteLength;
      if (needed > have) {
        this.memory.grow(Math.ceil((needed - have) / PAGE));
        this.buffers.add(this.memory.buffer);
      }
      this.top = needed;
    }
    new Uint8Array(this.memory.buffer, address, size).fill(0);
    this.live++;
    return address;
  }

  /** Returns a block from {@link WasmHeap.allocate} to the heap. */
  release(address: number, bytes: number): void {
    this.live--;
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    this.free.push({ start: address, end: address + size });
    this.free.sort((a, b) => a.start - b.start);
    const merged: { start: number; end: number }[] = [];
    for (const b of this.free) {
      const last = merged[merged.length - 1];
      if (last !== undefined && last.end === b.start) last.end = b.end;
      else merged.push({ ...b });
    }
    const tail = merged[merged.length - 1];
    if (tail !== undefined && tail.end === this.top) {
      this.top = tail.start;
      merged.pop();
    }
    this.free = merged;
  }

  /**
   * Takes a block from {@link WasmHeap.allocate} out of use for the heap's
   * life, also across {@link WasmHeap.reset}: for memory that threads which
   * may not have exited yet still read (a worker pool's control block).
   */
  retire(address: number, bytes: number): void {
    this.live--;
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    this.retired.push({ start: address, end: address + size });
    this.retired.sort((a, b) => a.start - b.start);
  }

  /**
   * Forgets every block but the retired ones, for a new owner of the memory
   * (blocks are zeroed as they are handed out again). Only when nothing
   * reads or writes the old blocks any more: no vector, state or thread.
   */
  reset(): void {
    this.free = [];
    let at = SCRATCH_BYTES;
    for (const r of this.retired) {
      if (r.start > at) this.free.push({ start: at, end: r.start });
      at = r.end;
    }
    this.top = at;
    this.live = 0;
  }

  /** Blocks handed out and neither released nor retired: 0 when nothing lives in the memory any more. */
  get liveBlocks(): number {
    return this.live;
  }

  /** A typed-array view of `length` elements at `address`, over the memory as it is now. */
  view<T extends NumericType>(dtype: T, address: number, length: number): ArrayFor<T> {
    const buffer = this.memory.buffer;
    this.buffers.add(buffer);
    return (dtype === 'float32' ? new Float32Array(buffer, address, length) : new Float64Array(buffer, address, length)) as ArrayFor<T>;
  }

  /** The address of `array` in this memory, or null when it lives elsewhere (or its view was detached). */
  addressOf(array: Float32Array | Float64Array): number | null {
    return this.buffers.has(array.buffer) && array.byteLength > 0 ? array.byteOffset : null;
  }
}
