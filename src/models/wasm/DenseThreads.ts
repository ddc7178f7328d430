import { waitOnWord } from '../../backends/wasm/threadHost.js';
import type { DenseArena, GemmArguments, GemmRunner } from './DenseArena.js';
import { denseThreadHost, type DenseThreadHost } from './denseThreadHost.js';
import {
  claimBlocks, DENSE_HEADER_INTS, DENSE_PHASE, DENSE_SLOT_INTS, denseControlInts, DH, DS, gemmRows,
} from './denseThreadProtocol.js';
import { STATUS, word } from '../../backends/wasm/threadProtocol.js';
import type { NumericType } from '../../numeric/NumericType.js';

/**
 * How {@link DenseThreads} splits a product's rows.
 *
 * @category Models
 */
export interface DenseThreadOptions {
  /**
   * Products with less work than this run on the calling thread only: the
   * work is the left matrix's kept entries times the vectors of an output
   * row (4 float32 or 2 float64 columns each), about 2 million a
   * millisecond on one core. Default 2000000 (in the MNIST job: the two big
   * products of each step go to the threads, the three small ones, where
   * waking a worker costs about what it saves, do not). 0: every product.
   */
  readonly minWork?: number;
  /** Blocks of rows per thread a product is cut into (more: better balance on a busy machine, more claims). Default 8. */
  readonly blocksPerThread?: number;
  /** Polls of its handshake word a worker makes before it sleeps in `Atomics.wait`. Default 2000 (tens of µs: the products of a step are milliseconds apart, and a spinning worker takes a busy machine's core from the calling thread). */
  readonly spin?: number;
  /** A worker that computes no row inside a product for this long (on the monotonic clock, `performance.now()`) is dropped; the calling thread runs what it left. Default 30000 ms. */
  readonly stallMs?: number;
  /** For tests: the calling thread waits (up to 1 s) for every worker to enter each product before it claims rows itself. Default false. */
  readonly awaitWorkers?: boolean;
  /** Where warnings go (a worker lost, and what the calling thread redid). Default `console.warn` with a `lars-ts:` prefix. */
  readonly onWarning?: (message: string) => void;
}

/** Bytes of kernel scratch per worker (the module's 128, rounded to a 64-byte line). */
const WORKER_SCRATCH_BYTES = 128;

/**
 * Worker threads that run the `gemm_T` calls of one {@link DenseArena} (which
 * must be shared) with the calling thread: each call's rows are cut into
 * blocks that every thread claims from an atomic counter, and each block is
 * one kernel call over its rows, so every output row gets the same
 * operations as on one thread: the results are bit-identical for any thread
 * count and schedule. The calling thread works too, then waits for the
 * workers in `Atomics.wait`.
 *
 * Failures: each block is marked done by the thread that computed it, and
 * the calling thread computes every block left undone after the workers
 * settled. A block's kernel call only overwrites its own output rows from
 * operands no thread writes, so running it again is exact. A worker that
 * throws, or computes nothing for {@link DenseThreadOptions.stallMs}, is
 * dropped (terminated) with one warning, and later products run on the
 * threads left.
 *
 * Node only (worker_threads); {@link DenseThreads.start} says why not elsewhere.
 *
 * @category Models
 */
export class DenseThreads implements GemmRunner {
  private readonly arena: DenseArena<NumericType>;
  private readonly control: number;
  private readonly workerList: { terminate(): Promise<void> }[] = [];
  private readonly alive: boolean[] = [];
  private readonly exits: Promise<void>[] = [];
  private readonly minWork: number;
  private readonly blocksPerThread: number;
  private readonly stallMs: number;
  private readonly awaitWorkers: boolean;
  private readonly warn: (message: string) => void;
  private readonly h: number;
  private readonly doneBase: number;
  private readonly view: Int32Array;
  private seq = 0;
  private disposed = false;
  /** Workers lost between products, told at the next product. */
  private exitWarnings: string[] = [];

  private constructor(arena: DenseArena<NumericType>, host: DenseThreadHost, workers: number, o: DenseThreadOptions) {
    this.arena = arena;
    this.minWork = o.minWork ?? 2000000;
    this.blocksPerThread = Math.max(1, Math.floor(o.blocksPerThread ?? 8));
    this.stallMs = o.stallMs ?? 30000;
    this.awaitWorkers = o.awaitWorkers ?? false;
    this.warn = o.onWarning ?? ((message: string) => console.warn(`lars-ts: ${message}`));
    const maxBlocks = this.blocksPerThread * (workers + 1) + 1;
    const controlBytes = 4 * denseControlInts(workers, maxBlocks);
    this.control = arena.allocateFixed(controlBytes + WORKER_SCRATCH_BYTES * workers);
    this.view = new Int32Array(arena.memory.buffer, 0, (this.control + controlBytes) >>> 2);
    const i32 = this.view;
    this.h = this.control >>> 2;
    this.doneBase = this.h + DENSE_HEADER_INTS + DENSE_SLOT_INTS * workers;
    for (let i = 0; i < workers; i++) {
      const s = this.slotBase(i);
      i32[s + DS.state] = word(0, DENSE_PHASE.closed);
      i32[s + DS.failAt] = -1;
      i32[s + DS.scratch] = this.control + controlBytes + WORKER_SCRATCH_BYTES * i;
      const input = { memory: arena.memory, module: arena.module, control: this.control, slot: i, workers, spin: o.spin ?? 2000 };
      this.exits.push(
        new Promise((resolve) => {
          this.workerList.push(
            host.spawn(input, (error) => {
              if (this.alive[i] && !this.disposed) {
                const why = error instanceof Error ? `: ${error.message}` : '';
                this.exitWarnings.push(`dense worker thread ${i} exited between products${why}; later products run on the threads left`);
              }
              this.alive[i] = false;
              resolve();
            }),
          );
        }),
      );
      this.alive.push(true);
    }
  }

  /**
   * Workers for `arena` so that `threads` threads in all (the calling one
   * included) share its products, or a plain-language reason why there are
   * none: the arena is not shared, this runtime has no worker threads (not
   * Node), or `threads` < 2. The workers are unref'd: they keep no process
   * alive; {@link DenseThreads.dispose} stops them.
   */
  static start(arena: DenseArena<NumericType>, threads: number, options: DenseThreadOptions = {}): DenseThreads | string {
    if (!arena.shared) return 'this runtime has no shared WebAssembly memory (SharedArrayBuffer)';
    if (!(threads >= 2)) return 'one thread asked for';
    const host = denseThreadHost();
    if (typeof host === 'string') return host;
    return new DenseThreads(arena, host, Math.floor(threads) - 1, options);
  }

  /** Logical cores of this runtime (for `threads: 'auto'`), or 1 where dense products cannot run on worker threads. */
  static cores(): number {
    const host = denseThreadHost();
    return typeof host === 'string' ? 1 : host.cores;
  }

  /** Workers that can still take work (not failed, exited or disposed). */
  get workers(): number {
    return this.disposed ? 0 : this.alive.filter((a) => a).length;
  }

  /** Rows all workers computed so far: proof that they took part. */
  workerRows(): number {
    return this.workerList.reduce((sum, _, i) => sum + Atomics.load(this.i32(), this.slotBase(i) + DS.rows), 0);
  }

  /** Resolves once every worker has started its loop (or died); false if none is ready after `timeoutMs`. */
  async ready(timeoutMs = 10000): Promise<boolean> {
    const t0 = performance.now();
    const status = (i: number) => Atomics.load(this.i32(), this.slotBase(i) + DS.status);
    for (;;) {
      const pending = this.workerList.some((_, i) => this.alive[i] && status(i) === STATUS.starting);
      if (!pending || performance.now() - t0 > timeoutMs) return this.workerList.some((_, i) => this.alive[i] && status(i) === STATUS.ready);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Resolves once every worker thread has exited (after {@link DenseThreads.dispose}, or failures). */
  async exited(): Promise<void> {
    await Promise.all(this.exits);
  }

  /**
   * Test hook: worker 0 fails once it has computed `rows` more rows, before
   * its next block, by throwing (as a failing worker would) or, with
   * `hang`, by sleeping for about a minute (as a stalled one would).
   * `null` cancels a failure not yet reached.
   */
  failWorkerAfter(rows: number | null, hang = false): void {
    const i32 = this.i32();
    const s = this.slotBase(0);
    Atomics.store(i32, s + DS.hang, hang ? 1 : 0);
    Atomics.store(i32, s + DS.failAt, rows === null ? -1 : Atomics.load(i32, s + DS.rows) + rows);
  }

  /** Computes every row of the `gemm_T` call `args`, split over the threads (see the class). */
  gemm(f64: boolean, args: GemmArguments): void {
    const kernels = this.arena.kernels;
    const R = args[2];
    const threads = this.workers + 1;
    if (this.exitWarnings.length > 0) {
      for (const message of this.exitWarnings) this.warn(message);
      this.exitWarnings = [];
    }
    const i32 = this.i32();
    if (threads < 2 || R < 2 || this.work(f64, args) < this.minWork) {
      gemmRows(kernels, f64, args, 0, R);
      return;
    }
    const h = this.h;
    const blockRows = Math.max(4, Math.ceil(R / (this.blocksPerThread * threads)));
    const blocks = Math.ceil(R / blockRows);
    i32[h + DH.next] = 0;
    i32[h + DH.f64] = f64 ? 1 : 0;
    i32[h + DH.blockRows] = blockRows;
    i32[h + DH.blocks] = blocks;
    i32.set(args, h + DH.args);
    i32.fill(0, this.doneBase, this.doneBase + blocks);
    this.seq = (this.seq + 1) & 0x0fffffff;
    const open = word(this.seq, DENSE_PHASE.open);
    const posted: number[] = [];
    for (let i = 0; i < this.workerList.length; i++) {
      if (!this.alive[i]) continue;
      const s = this.slotBase(i);
      Atomics.store(i32, s + DS.state, open);
      Atomics.notify(i32, s + DS.state);
      posted.push(i);
    }
    if (this.awaitWorkers) {
      const until = performance.now() + 1000;
      for (const i of posted) {
        const s = this.slotBase(i);
        while (Atomics.load(i32, s + DS.state) === open && performance.now() < until) waitOnWord(true, i32, s + DS.state, open, 10);
      }
    }
    try {
      claimBlocks(kernels, i32, h, this.doneBase);
    } catch (error) {
      // A trap on the calling thread (a bug): let the workers finish this product before the next one is posted, then report it.
      for (const i of posted) this.settle(i);
      throw error;
    }
    const lost: string[] = [];
    for (const i of posted) {
      const why = this.settle(i);
      if (why !== null) lost.push(`dense worker thread ${i} ${why}`);
    }
    let redone = 0;
    for (let b = 0; b < blocks; b++) {
      if (Atomics.load(i32, this.doneBase + b) === 1) continue;
      gemmRows(kernels, f64, args, b * blockRows, Math.min(R, (b + 1) * blockRows));
      redone++;
    }
    if (lost.length > 0) {
      this.warn(
        `${lost.join(', ')} inside a dense product; the calling thread computed the ${redone} block(s) of rows it left, exactly, ` +
          `and later products run on ${this.workers + 1} thread(s)`,
      );
    }
  }

  /** The work of a gemm_T call (see {@link DenseThreadOptions.minWork}): entries of its compressed rows × vectors per output row. */
  private work(f64: boolean, args: GemmArguments): number {
    const [, , R, , M, rowStart] = args;
    const buffer = this.arena.memory.buffer;
    const starts = new Int32Array(buffer, rowStart, R + 1);
    return (starts[R] - starts[0]) * Math.ceil(M / (f64 ? 2 : 4));
  }

  /** Stops and terminates the workers, at once; products then run on the calling thread. Calling it again does nothing. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const i32 = this.i32();
    Atomics.store(i32, this.h + DH.stop, 1);
    this.workerList.forEach((worker, i) => {
      Atomics.notify(i32, this.slotBase(i) + DS.state);
      void worker.terminate();
      this.alive[i] = false;
    });
  }

  /**
   * Closes the job for worker `i` if it never entered it, else waits until
   * it is done. A worker that failed, or computed no row for `stallMs`, is
   * dropped; returns why, or null.
   */
  private settle(i: number): string | null {
    const i32 = this.i32();
    const s = this.slotBase(i);
    const open = word(this.seq, DENSE_PHASE.open);
    if (Atomics.compareExchange(i32, s + DS.state, open, word(this.seq, DENSE_PHASE.closed)) === open) return null;
    const busy = word(this.seq, DENSE_PHASE.busy);
    let progress = Atomics.load(i32, s + DS.rows);
    let since = performance.now();
    for (;;) {
      const x = Atomics.load(i32, s + DS.state);
      if (x === word(this.seq, DENSE_PHASE.done)) return null;
      if (x !== busy) {
        this.alive[i] = false;
        return 'failed';
      }
      if (waitOnWord(true, i32, s + DS.state, x, 200) === 'timed-out') {
        const now = Atomics.load(i32, s + DS.rows);
        if (now !== progress) {
          progress = now;
          since = performance.now();
        } else if (performance.now() - since > this.stallMs) {
          // Dropped: the worker writes no further block of this product (it checks its word before each).
          if (Atomics.compareExchange(i32, s + DS.state, busy, word(this.seq, DENSE_PHASE.closed)) !== busy) continue;
          this.alive[i] = false;
          void this.workerList[i].terminate();
          return `stalled for ${this.stallMs} ms`;
        }
      }
    }
  }

  /** A view of the control block's memory (allocated first and never moved; a shared memory's views survive growth). */
  private i32(): Int32Array {
    return this.view;
  }

  /** The Int32 index of worker `i`'s slot. */
  private slotBase(i: number): number {
    return this.h + DENSE_HEADER_INTS + DENSE_SLOT_INTS * i;
  }
}
