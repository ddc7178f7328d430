// The shared-memory protocol between the main thread and the kernel worker
// threads of WasmThreadPool, and the chunk loop both sides run. No Node
// imports here: the main-thread side is loaded in every runtime.
//
// A job is one pass (norms, Σu², or the update) over a plan that is cut into
// fixed chunks of elements; each chunk is a run of "pieces", the intersections
// of the chunk with the layers. Threads claim chunks with an atomic counter
// (so a late or slow thread simply takes fewer), and each piece writes its
// partial result to its own slot, which the main thread adds per layer in
// piece order: the results do not depend on which thread took which chunk.
// Inside a layer with 8-bit momentum, chunk boundaries fall on its 256-element
// absmax blocks (counted from the layer's start), so every block is updated
// whole by one kernel call, as on one thread.
//
// The control block lives in the WebAssembly memory (an Int32 array at a
// 64-byte aligned address): a job header, then one slot per worker.
import type { KernelExports } from './kernelModule.js';

/**
 * Job header fields (Int32 indices from the control block's start).
 *
 * @category Backends
 */
export const H = {
  /** Next chunk to claim (Atomics.add). */
  next: 0,
  /** The pass: one of {@link OP}. */
  op: 1,
  /** 1 for float64 data, 0 for float32. */
  f64: 2,
  /** Byte address of the parameters. */
  w: 3,
  /** Byte address of the gradient. */
  g: 4,
  /** Byte address of the layer table (see {@link LAYER}): where each layer's momentum lives; unused by the norm pass. */
  layers: 5,
  /** Byte address of the piece table: Int32 triples (layer, start, end). */
  pieces: 6,
  /** Byte address of the chunk table: Int32, first piece of each chunk, chunkCount + 1 entries. */
  chunks: 7,
  /** Number of chunks. */
  chunkCount: 8,
  /** Byte address of the coefficients: 7 float64 per layer (gs, wd, mu, a, cb, cd, step). */
  coeffs: 9,
  /** Byte address of the results: 2 float64 per piece. */
  results: 10,
  /** Set to 1 to make every worker leave its loop. */
  stop: 11,
  /** 1 when workers back each update chunk up in their scratch before updating it in place (see {@link CHUNK}); 0: no backup. */
  scratch: 12,
  /** Byte address of the chunk commit words: Int32, one per chunk (see {@link CHUNK}). */
  owners: 13,
  /** Byte address of the code book tables of 8-bit momentum (`WasmCodeBook.address`; 0 when no layer is 8-bit). */
  book: 14,
  /** Byte address of the calling thread's 512-float64 scratch for the 8-bit update kernel (each worker has its own, {@link S.q8scratch}). */
  q8scratch: 15,
} as const;

/**
 * Fields of one layer's entry in the layer table ({@link H.layers}; Int32 indices from the entry's start).
 *
 * @category Backends
 */
export const LAYER = {
  /** Momentum bits: 0 none, 32 full precision, 8 codes with absmax. */
  bits: 0,
  /** The layer's first element in the flat vector. */
  start: 1,
  /** Byte address of the layer's first momentum value (32) or code (8). */
  a: 2,
  /** Byte address of the layer's first absmax (8-bit layers). */
  absmax: 3,
} as const;

/**
 * Int32 fields per layer table entry.
 *
 * @category Backends
 */
export const LAYER_INTS = 4;

/**
 * Elements per absmax block of 8-bit momentum: inside an 8-bit layer, chunks start and end on these blocks.
 *
 * @category Backends
 */
export const Q8_BLOCK = 256;

/**
 * Bytes of each thread's scratch for the 8-bit update kernel (two blocks of float64).
 *
 * @category Backends
 */
export const Q8_SCRATCH_BYTES = 2 * Q8_BLOCK * 8;

/**
 * Commit words, one per chunk: whoever finishes a chunk marks it done, so the
 * main thread can redo the chunks a failed or stalled worker left (a norm
 * pass only reads, so running a chunk twice is harmless). In an update pass
 * in backup mode a worker claims a chunk (compare-exchange from `pending` to
 * `claimed + slot`), copies its parameters and momentum into its scratch,
 * moves to `writing + slot` (compare-exchange again) and only then updates
 * it in place. After the workers settled, the main thread takes every chunk
 * not done: one still `pending` or `claimed` is unchanged (it takes it with
 * a compare-exchange, so the worker will not write it) and is run in place;
 * one `writing` is first restored from the worker's backup. So every chunk
 * is updated exactly once, from its values before the step.
 *
 * @category Backends
 */
export const CHUNK = {
  /** Not yet claimed. */
  pending: 0,
  /** Finished. */
  done: -1,
  /** Taken by the main thread: a worker must not write it. */
  main: -2,
  /** `claimed + slot`: worker `slot` claimed it and is backing it up; nothing written yet. */
  claimed: 1,
  /** `writing + slot`: worker `slot` backed it up and is updating it in place. */
  writing: 1 << 16,
} as const;

/**
 * Int32 fields before the first worker slot.
 *
 * @category Backends
 */
export const HEADER_INTS = 16;
/**
 * Int32 fields per worker slot: one 64-byte cache line each, so workers do not share lines.
 *
 * @category Backends
 */
export const SLOT_INTS = 16;

/**
 * Worker slot fields (Int32 indices from the slot's start).
 *
 * @category Backends
 */
export const S = {
  /** The job handshake word: `seq << 3 | phase` (see {@link PHASE}). */
  state: 0,
  /** {@link STATUS} of the worker. */
  status: 1,
  /** Jobs the worker entered (proof that it works). */
  jobs: 2,
  /** Chunks the worker completed, over its life. */
  chunks: 3,
  /** The chunk the worker is on, −1 for none. */
  current: 4,
  /** Pieces of {@link S.current} it completed. */
  currentDone: 5,
  /** Test hook: the worker throws once it has completed this many pieces in all, inside a chunk with pieces left (−1: never). */
  failAt: 6,
  /** Pieces completed over the worker's life. */
  pieces: 7,
  /** Test hook: with 1, the worker sleeps (about a minute) instead of throwing at {@link S.failAt}. */
  hang: 8,
  /** Byte address of the worker's backup of its chunk: {@link S.scratchBytes} for parameters, then as many for momentum (values, codes and absmax, piece after piece). */
  scratch: 9,
  /** Bytes of each half of the scratch (one chunk of float64, at least one 256-element block). */
  scratchBytes: 10,
  /** Byte address of the worker's own scratch for the 8-bit update kernel ({@link Q8_SCRATCH_BYTES}). */
  q8scratch: 11,
} as const;

/**
 * Phases of a worker's handshake word.
 *
 * @category Backends
 */
export const PHASE = {
  /** A job is posted; the worker may enter it. */
  open: 0,
  /** The worker entered the job (compare-exchange from open). */
  busy: 1,
  /** The worker finished its part of the job. */
  done: 2,
  /** The main thread closed the job before the worker entered it. */
  closed: 3,
  /** The worker failed inside the job; see {@link S.current} / {@link S.currentDone}. */
  failed: 4,
} as const;

/**
 * Worker status values.
 *
 * @category Backends
 */
export const STATUS = { starting: 0, ready: 1, failed: 2, stopped: 3 } as const;

/**
 * The pass a job runs.
 *
 * @category Backends
 */
export const OP = { norms: 0, unorm: 1, update: 2 } as const;

/**
 * Packs a job sequence number and a phase into a handshake word.
 *
 * @category Backends
 */
export function word(seq: number, phase: number): number {
  return ((seq & 0x0fffffff) << 3) | phase;
}

/**
 * The phase of a handshake word.
 *
 * @category Backends
 */
export function phaseOf(w: number): number {
  return w & 7;
}

/**
 * Views of the memory as it is now (a shared memory's buffer grows, so views are made per job).
 *
 * @category Backends
 */
export interface MemoryViews {
  readonly i32: Int32Array;
  readonly f64: Float64Array;
}

/**
 * Int32 and Float64 views over the whole memory.
 *
 * @category Backends
 */
export function viewsOf(memory: WebAssembly.Memory): MemoryViews {
  const buffer = memory.buffer;
  return { i32: new Int32Array(buffer), f64: new Float64Array(buffer) };
}

/**
 * Runs pieces `[from, to)` of the current job: calls the kernel on each and
 * stores its result in the piece's slot. Each layer's momentum kind (layer
 * table, {@link LAYER}) picks the kernel: the 8-bit ones get the piece's codes
 * and absmax (a piece of an 8-bit layer starts on one of its blocks) and the
 * running thread's scratch. `after(p)` runs after each piece.
 *
 * @param ctl - the control block's byte address.
 * @param slot - the running worker's slot, −1 for the calling thread (whose 8-bit scratch is {@link H.q8scratch}).
 *
 * @category Backends
 */
export function runPieces(k: KernelExports, v: MemoryViews, ctl: number, from: number, to: number, slot: number, after?: (piece: number) => void): void {
  const h = ctl >>> 2;
  const i32 = v.i32;
  const f64 = v.f64;
  const op = i32[h + H.op];
  const wide = i32[h + H.f64] === 1;
  const size = wide ? 8 : 4;
  const w = i32[h + H.w];
  const g = i32[h + H.g];
  const layers = i32[h + H.layers] >>> 2;
  const book = i32[h + H.book];
  const q8scratch = slot < 0 ? i32[h + H.q8scratch] : i32[h + HEADER_INTS + SLOT_INTS * slot + S.q8scratch];
  const pieces = i32[h + H.pieces] >>> 2;
  const coeffs = i32[h + H.coeffs] >>> 3;
  const results = i32[h + H.results] >>> 0;
  const norms = wide ? k.norms_f64 : k.norms_f32;
  const unorm = wide ? k.unorm_f64 : k.unorm_f32;
  const unormQ8 = wide ? k.unorm_q8_f64 : k.unorm_q8_f32;
  const update = wide ? k.update_f64 : k.update_f32;
  const updateMomentum = wide ? k.update_momentum_f64 : k.update_momentum_f32;
  const updateNoBuf = wide ? k.update_nobuf_f64 : k.update_nobuf_f32;
  const updateQ8 = wide ? k.update_q8_f64 : k.update_q8_f32;
  for (let p = from; p < to; p++) {
    const layer = i32[pieces + 3 * p];
    const start = i32[pieces + 3 * p + 1];
    const n = i32[pieces + 3 * p + 2] - start;
    const o = start * size;
    if (op === OP.norms) {
      norms(w + o, g + o, n, results + 16 * p);
      after?.(p);
      continue;
    }
    const c = coeffs + 7 * layer;
    const entry = layers + LAYER_INTS * layer;
    const bits = i32[entry + LAYER.bits];
    // The piece's place in its layer, in elements: its momentum starts there too.
    const e = start - i32[entry + LAYER.start];
    const a = i32[entry + LAYER.a];
    if (op === OP.unorm) {
      f64[(results >>> 3) + 2 * p] =
        bits === 8
          ? unormQ8(w + o, g + o, a + e, i32[entry + LAYER.absmax] + 4 * (e / Q8_BLOCK), n, book, f64[c], f64[c + 1], f64[c + 2], f64[c + 3], f64[c + 4], f64[c + 5])
          : unorm(w + o, g + o, bits === 0 ? 0 : a + e * size, n, f64[c], f64[c + 1], f64[c + 2], f64[c + 3], f64[c + 4], f64[c + 5]);
    } else if (bits === 8) {
      updateQ8(w + o, g + o, a + e, i32[entry + LAYER.absmax] + 4 * (e / Q8_BLOCK), n, book, q8scratch,
        f64[c], f64[c + 1], f64[c + 2], f64[c + 3], f64[c + 4], f64[c + 5], f64[c + 6]);
    } else if (bits === 0) {
      updateNoBuf(w + o, g + o, n, f64[c], f64[c + 1], f64[c + 5], f64[c + 6]);
    } else if (f64[c + 4] === 1 && f64[c + 5] === 0) {
      // Plain momentum (fromBuffer 1, fromDirection 0) takes the shortcut kernel, as on one thread.
      updateMomentum(w + o, g + o, a + e * size, n, f64[c], f64[c + 1], f64[c + 2], f64[c + 3], f64[c + 6]);
    } else {
      update(w + o, g + o, a + e * size, n, f64[c], f64[c + 1], f64[c + 2], f64[c + 3], f64[c + 4], f64[c + 5], f64[c + 6]);
    }
    after?.(p);
  }
}

/**
 * Claims chunks of the current job until none is left, runs each and marks
 * it done in its commit word. `begin(c)` runs after a claim, before the
 * chunk's first piece. In backup mode ({@link H.scratch}) a worker (`slot`
 * ≥ 0) claims each chunk and backs it up first (see {@link CHUNK}); the
 * main thread (`slot` −1) runs its chunks without backup.
 *
 * @returns the number of chunks this thread ran.
 *
 * @category Backends
 */
export function claimChunks(
  k: KernelExports,
  v: MemoryViews,
  ctl: number,
  begin?: (chunk: number) => void,
  after?: (piece: number) => void,
  slot = -1,
): number {
  const h = ctl >>> 2;
  const i32 = v.i32;
  const count = i32[h + H.chunkCount];
  const table = i32[h + H.chunks] >>> 2;
  const scratch = i32[h + H.scratch] === 1;
  const owners = i32[h + H.owners] >>> 2;
  let ran = 0;
  for (;;) {
    const c = Atomics.add(i32, h + H.next, 1);
    if (c >= count) return ran;
    begin?.(c);
    if (scratch && slot >= 0) runChunkWithBackup(k, v, ctl, c, slot, after);
    else {
      runPieces(k, v, ctl, i32[table + c], i32[table + c + 1], slot, after);
      Atomics.store(i32, owners + c, CHUNK.done);
    }
    ran++;
  }
}

/**
 * The element range [lo, hi) of chunk `c`: from its first piece's start to its last piece's end.
 *
 * @category Backends
 */
export function chunkRange(v: MemoryViews, ctl: number, c: number): { lo: number; hi: number } {
  const h = ctl >>> 2;
  const i32 = v.i32;
  const table = i32[h + H.chunks] >>> 2;
  const pieces = i32[h + H.pieces] >>> 2;
  return { lo: i32[pieces + 3 * i32[table + c] + 1], hi: i32[pieces + 3 * (i32[table + c + 1] - 1) + 2] };
}

/**
 * Copies chunk `c` of the parameters and momentum (values, or codes and
 * absmax) from worker `slot`'s backup back into place: the values before the step.
 *
 * @category Backends
 */
export function restoreChunk(k: KernelExports, v: MemoryViews, ctl: number, c: number, slot: number): void {
  copyChunk(k, v, ctl, c, slot, false);
}

/**
 * Copies chunk `c`'s parameters and momentum into worker `slot`'s scratch with
 * `backUp`, else from it back into place. The parameters are one run of
 * elements; the momentum is copied piece after piece: a 32-bit layer's
 * values, or an 8-bit layer's codes and then the absmax of its blocks.
 */
function copyChunk(k: KernelExports, v: MemoryViews, ctl: number, c: number, slot: number, backUp: boolean): void {
  const h = ctl >>> 2;
  const i32 = v.i32;
  const s = h + HEADER_INTS + SLOT_INTS * slot;
  const size = i32[h + H.f64] === 1 ? 8 : 4;
  const { lo, hi } = chunkRange(v, ctl, c);
  const copy = (data: number, scratch: number, bytes: number): void => {
    if (backUp) k.copy_bytes(scratch, data, bytes);
    else k.copy_bytes(data, scratch, bytes);
  };
  copy(i32[h + H.w] + lo * size, i32[s + S.scratch], (hi - lo) * size);
  let at = i32[s + S.scratch] + i32[s + S.scratchBytes];
  const table = i32[h + H.chunks] >>> 2;
  const pieces = i32[h + H.pieces] >>> 2;
  const layers = i32[h + H.layers] >>> 2;
  for (let p = i32[table + c]; p < i32[table + c + 1]; p++) {
    const entry = layers + LAYER_INTS * i32[pieces + 3 * p];
    const start = i32[pieces + 3 * p + 1];
    const n = i32[pieces + 3 * p + 2] - start;
    const e = start - i32[entry + LAYER.start];
    const bits = i32[entry + LAYER.bits];
    if (bits === 32) {
      copy(i32[entry + LAYER.a] + e * size, at, n * size);
      at += n * size;
    } else if (bits === 8) {
      copy(i32[entry + LAYER.a] + e, at, n);
      at += n;
      const blocks = 4 * Math.ceil(n / Q8_BLOCK);
      copy(i32[entry + LAYER.absmax] + 4 * (e / Q8_BLOCK), at, blocks);
      at += blocks;
    }
  }
}

/**
 * A worker's update of chunk `c` in backup mode: claim it, back it up, mark
 * it writing, update it in place, mark it done; stop without writing
 * whenever the main thread took the chunk first.
 */
function runChunkWithBackup(k: KernelExports, v: MemoryViews, ctl: number, c: number, slot: number, after?: (piece: number) => void): void {
  const h = ctl >>> 2;
  const i32 = v.i32;
  const owners = i32[h + H.owners] >>> 2;
  const table = i32[h + H.chunks] >>> 2;
  if (Atomics.compareExchange(i32, owners + c, CHUNK.pending, CHUNK.claimed + slot) !== CHUNK.pending) return;
  copyChunk(k, v, ctl, c, slot, true);
  if (Atomics.compareExchange(i32, owners + c, CHUNK.claimed + slot, CHUNK.writing + slot) !== CHUNK.claimed + slot) return;
  runPieces(k, v, ctl, i32[table + c], i32[table + c + 1], slot, after);
  Atomics.store(i32, owners + c, CHUNK.done);
}
