// The words DenseThreads and its workers (denseWorker.ts) share in the
// arena's shared memory, and the claim loop both run. One control block:
// a header (the posted gemm_T call and the block counter), one slot per
// worker (its handshake word and counters), then one done-word per block of
// rows. A job is one gemm_T call cut into blocks of rows; each thread claims
// blocks from the counter and runs each block as one kernel call.
import type { DenseExports, GatherArguments, GemmArguments } from './DenseArena.js';

/**
 * Int32 offsets of the header's fields.
 *
 * @category Models
 */
export const DH = {
  /** Nonzero: workers leave their loop. */
  stop: 0,
  /** The next block to claim (Atomics.add). */
  next: 1,
  /** 1: the float64 kernels. */
  f64: 2,
  /** Rows per block. */
  blockRows: 3,
  /** Blocks of the job. */
  blocks: 4,
  /** The job's kernel: {@link DENSE_OP}. */
  op: 5,
  /** The kernel's arguments ({@link GemmArguments} or {@link GatherArguments}), from here on. */
  args: 6,
} as const;

/**
 * The kernels a job runs over blocks of rows.
 *
 * @category Models
 */
export const DENSE_OP = {
  /** gemm_T: each block's output rows in place; done-word 1. */
  gemm: 0,
  /**
   * gather_T: each block's compressed rows at entry r0·Q (the room a block
   * can need at most), row starts relative to that; done-word 1 + the
   * block's entry count. The calling thread then moves the blocks together
   * ({@link compactBlocks}).
   */
  gather: 1,
} as const;

/** Int32 words of the header. */
export const DENSE_HEADER_INTS = 20;

/**
 * Int32 offsets of a worker slot's fields.
 *
 * @category Models
 */
export const DS = {
  /** The handshake word: `seq << 3 | phase` ({@link DENSE_PHASE}). */
  state: 0,
  /** {@link DENSE_STATUS} of the worker. */
  status: 1,
  /** Jobs the worker entered. */
  jobs: 2,
  /** Rows the worker computed: proof that it did work. */
  rows: 3,
  /** Test hook: once `rows` reaches this, the worker throws (or hangs) instead of its next block; -1: never. */
  failAt: 4,
  /** Test hook: 1 makes the failure a hang (about a minute in `Atomics.wait`) instead of a throw. */
  hang: 5,
  /** Byte address of the worker's kernel scratch. */
  scratch: 6,
} as const;

/** Int32 words per worker slot. */
export const DENSE_SLOT_INTS = 8;

/**
 * Phases of a slot's handshake word.
 *
 * @category Models
 */
export const DENSE_PHASE = {
  /** No job for this worker. */
  closed: 0,
  /** A job is posted; the worker may enter it. */
  open: 1,
  /** The worker entered the job. */
  busy: 2,
  /** The worker finished its blocks. */
  done: 3,
  /** The worker threw inside the job and left its loop. */
  failed: 4,
} as const;

/**
 * Lifecycle of a worker, in its slot's status word.
 *
 * @category Models
 */
export const DENSE_STATUS = { starting: 0, ready: 1, failed: 2, stopped: 3 } as const;

/**
 * A handshake word: job sequence number and phase.
 *
 * @category Models
 */
export function denseWord(seq: number, phase: number): number {
  return ((seq & 0x0fffffff) << 3) | phase;
}

/**
 * Int32 words of a control block for `workers` workers and up to `maxBlocks` blocks.
 *
 * @category Models
 */
export function denseControlInts(workers: number, maxBlocks: number): number {
  return DENSE_HEADER_INTS + DENSE_SLOT_INTS * workers + maxBlocks;
}

/**
 * Runs rows `r0` ≤ r < `r1` of the posted gemm_T call as one kernel call:
 * the same operations per row as the whole call, so the same bits.
 *
 * @category Models
 */
export function gemmRows(kernels: DenseExports, f64: boolean, args: GemmArguments, r0: number, r1: number): void {
  const [out, ors, , Q, M, rowStart, idx, val, b, bias, relu, mask, mrs] = args;
  const size = f64 ? 8 : 4;
  (f64 ? kernels.gemm_f64 : kernels.gemm_f32)(
    out + r0 * ors * size, ors, r1 - r0, Q, M, rowStart + 4 * r0, idx, val, b, bias, relu, mask === 0 ? 0 : mask + r0 * mrs * size, mrs,
  );
}

/**
 * Runs rows `r0` ≤ r < `r1` of the gather_T call `args` as one kernel call
 * (the same operations per row as the whole call), its compressed rows at
 * entry r0·Q with row starts counted from there; returns its entry count.
 *
 * @category Models
 */
export function gatherRows(kernels: DenseExports, f64: boolean, args: GatherArguments, r0: number, r1: number): number {
  const [rowStart, idx, val, a, , Q, rs, cs, skip] = args;
  const size = f64 ? 8 : 4;
  const first = r0 * Q;
  return (f64 ? kernels.gather_f64 : kernels.gather_f32)(rowStart + 4 * r0, idx + 4 * first, val + size * first, a + r0 * rs * size, r1 - r0, Q, rs, cs, skip);
}

/**
 * After a gather job: moves each block's entries (at entry r0·Q) to follow
 * the previous block's, and makes its row starts absolute, so the
 * compressed rows are those one gather_T call over all rows writes.
 * `counts[b]` is block b's entry count; returns the total.
 *
 * @category Models
 */
export function compactBlocks(buffer: ArrayBufferLike, f64: boolean, args: GatherArguments, blockRows: number, counts: ArrayLike<number>): number {
  const [rowStart, idx, val, , R, Q] = args;
  const starts = new Int32Array(buffer, rowStart, R + 1);
  const indices = new Int32Array(buffer, idx, R * Q);
  const values = f64 ? new Float64Array(buffer, val, R * Q) : new Float32Array(buffer, val, R * Q);
  let base = 0;
  for (let b = 0; b < counts.length; b++) {
    const r0 = b * blockRows;
    const r1 = Math.min(R, r0 + blockRows);
    const count = counts[b];
    const from = r0 * Q;
    if (from !== base) {
      indices.copyWithin(base, from, from + count);
      values.copyWithin(base, from, from + count);
    }
    // The block's first start is 0 (a neighbour's last store may have overwritten it); the rest are relative.
    starts[r0] = base;
    for (let r = r0 + 1; r < r1; r++) starts[r] += base;
    base += count;
  }
  starts[R] = base;
  return base;
}

/**
 * Runs block `block` of the posted job; returns its done-word (see {@link DENSE_OP}).
 *
 * @category Models
 */
export function runBlock(kernels: DenseExports, i32: Int32Array, h: number, block: number): number {
  const f64 = i32[h + DH.f64] === 1;
  const blockRows = i32[h + DH.blockRows];
  const r0 = block * blockRows;
  if (i32[h + DH.op] === DENSE_OP.gather) {
    const args = Array.from(i32.subarray(h + DH.args, h + DH.args + 9)) as GatherArguments;
    return 1 + gatherRows(kernels, f64, args, r0, Math.min(args[4], r0 + blockRows));
  }
  const args = Array.from(i32.subarray(h + DH.args, h + DH.args + 13)) as GemmArguments;
  gemmRows(kernels, f64, args, r0, Math.min(args[2], r0 + blockRows));
  return 1;
}

/**
 * Calls a worker makes around each block it claims.
 *
 * @category Models
 */
export interface BlockHooks {
  /** After a claim, before the kernel (the worker's test hook). */
  before(): void;
  /** After the block's rows are stored and marked done. */
  after(rows: number): void;
}

/**
 * Claims blocks of the posted job until none is left and runs each, storing
 * its done-word in the block table at Int32 index `done`; returns the blocks run.
 *
 * @category Models
 */
export function claimBlocks(kernels: DenseExports, i32: Int32Array, h: number, done: number, hooks?: BlockHooks): number {
  const blocks = i32[h + DH.blocks];
  const blockRows = i32[h + DH.blockRows];
  const R = i32[h + DH.args + (i32[h + DH.op] === DENSE_OP.gather ? 4 : 2)];
  let ran = 0;
  for (;;) {
    const block = Atomics.add(i32, h + DH.next, 1);
    if (block >= blocks) return ran;
    hooks?.before();
    Atomics.store(i32, done + block, runBlock(kernels, i32, h, block));
    hooks?.after(Math.min(R, (block + 1) * blockRows) - block * blockRows);
    ran++;
  }
}
