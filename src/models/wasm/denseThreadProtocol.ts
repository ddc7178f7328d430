// The words DenseThreads and its workers (denseWorker.ts) share in the
// arena's shared memory, and the claim loop both run. One control block:
// a header (the posted gemm_T call and the block counter), one slot per
// worker (its handshake word and counters), then one done-word per block of
// rows. A job is one gemm_T call cut into blocks of rows; each thread claims
// blocks from the counter and runs each block as one kernel call.
import type { DenseExports, GemmArguments } from './DenseArena.js';

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
  /** The 13 arguments of the gemm_T call ({@link GemmArguments}), from here on. */
  args: 5,
} as const;

/** Int32 words of the header. */
export const DENSE_HEADER_INTS = 20;

/**
 * Int32 offsets of a worker slot's fields.
 *
 * @category Models
 */
export const DS = {
  /** The handshake word: `word(seq, phase)` of the optimizer's thread protocol, with a {@link DENSE_PHASE}. */
  state: 0,
  /** The worker's lifecycle (`STATUS` of the optimizer's thread protocol). */
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
 * The posted call's arguments, read from the header at Int32 index `h`.
 *
 * @category Models
 */
export function postedArguments(i32: Int32Array, h: number): GemmArguments {
  return Array.from(i32.subarray(h + DH.args, h + DH.args + 13)) as GemmArguments;
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
 * Claims blocks of the posted job until none is left and runs each, marking
 * it done in the block table at Int32 index `done`; returns the blocks run.
 *
 * @category Models
 */
export function claimBlocks(kernels: DenseExports, i32: Int32Array, h: number, done: number, hooks?: BlockHooks): number {
  const f64 = i32[h + DH.f64] === 1;
  const blocks = i32[h + DH.blocks];
  const blockRows = i32[h + DH.blockRows];
  const args = postedArguments(i32, h);
  const R = args[2];
  let ran = 0;
  for (;;) {
    const block = Atomics.add(i32, h + DH.next, 1);
    if (block >= blocks) return ran;
    hooks?.before();
    const r0 = block * blockRows;
    const r1 = Math.min(R, r0 + blockRows);
    gemmRows(kernels, f64, args, r0, r1);
    Atomics.store(i32, done + block, 1);
    hooks?.after(r1 - r0);
    ran++;
  }
}
