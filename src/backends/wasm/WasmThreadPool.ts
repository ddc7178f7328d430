import type { NumericType } from '../../numeric/NumericType.js';
import type { LayerCoefficients } from '../../core/LayerCoefficients.js';
import type { LayerPlan } from '../../core/LayerPlan.js';
import { PartialStepError } from '../../core/PartialStepError.js';
import { instantiateKernels, type KernelExports } from './kernelModule.js';
import type { WasmHeap } from './WasmHeap.js';
import { findThreadHost } from './findThreadHost.js';
import { waitOnWord, type KernelWorker, type ThreadHost } from './threadHost.js';
import { cutIntoChunks } from './chunkPieces.js';
import { layerMomentum } from './layerMomentum.js';
import {
  CHUNK, claimChunks, H, HEADER_INTS, LAYER, LAYER_INTS, OP, PHASE, Q8_BLOCK, Q8_SCRATCH_BYTES, restoreChunk, runPieces, S, SLOT_INTS, STATUS, viewsOf, word,
} from './threadProtocol.js';
import type { WasmQuantizedState } from './WasmQuantizedState.js';
import type { WasmState } from './WasmState.js';

/**
 * How {@link WasmBackend.createThreaded} splits a step across threads.
 *
 * @category Backends
 */
export interface WasmThreadOptions {
  /**
   * Threads in all, the calling thread included: `'auto'` for one per core
   * (`os.availableParallelism()`, `navigator.hardwareConcurrency`). Default `'auto'`. 1 means no workers.
   */
  readonly threads?: 'auto' | number;
  /** Plans shorter than this many elements run on the calling thread only. Default 262144. */
  readonly minElements?: number;
  /**
   * Elements per chunk, the unit of work a thread claims (rounded up to a
   * multiple of 16). Inside a layer with 8-bit momentum a chunk ends on one
   * of the layer's 256-element blocks instead (shorter, or one block when
   * this is under 256). Default 32768.
   */
  readonly chunkElements?: number;
  /** Polls of its handshake word a worker makes before it sleeps in `Atomics.wait`. Default 2000 (about 70 µs on the 2-core test machine: enough to catch the next pass of the same step). */
  readonly spin?: number;
  /**
   * A worker that makes no progress inside a job for this long is declared
   * stalled and stops being used; the calling thread runs what it left (see
   * {@link WasmThreadOptions.backUpChunks} for the update pass). Measured on
   * the monotonic clock (`performance.now()`), so a change of the system time
   * is never taken for a stall. Default 30000 ms.
   */
  readonly stallMs?: number;
  /**
   * Whether workers back up each chunk of the update pass (its parameters
   * and momentum, into 2 × 8 × max(chunkElements, 256) bytes of scratch per worker)
   * before updating it in place, so that a chunk a failed or stalled worker
   * left half updated can be restored and run again: the step completes
   * exactly. `false` skips the copy (see `npm run bench -- worker-commit`
   * for what it costs), and a stalled worker then makes the step throw a
   * {@link PartialStepError}. Default true.
   */
  readonly backUpChunks?: boolean;
  /**
   * For tests: the calling thread waits (up to 1 s) for every worker to enter
   * each pass before it claims chunks itself, so that workers take part even
   * in tiny passes. Slower; default false.
   */
  readonly awaitWorkers?: boolean;
}

/** The piece and chunk tables of one plan, in WebAssembly memory. */
interface PlanTables {
  readonly plan: LayerPlan;
  readonly pieceCount: number;
  readonly chunkCount: number;
  /** Layer of each piece, to add partial results per layer. */
  readonly pieceLayer: Int32Array;
  readonly blocks: { address: number; bytes: number }[];
  readonly pieces: number;
  /** Byte address of the chunk commit words (see {@link CHUNK}). */
  readonly owners: number;
  readonly chunks: number;
  readonly coeffs: number;
  readonly results: number;
  /** Byte address of the layer table (see {@link LAYER}). */
  readonly layers: number;
}

/**
 * Worker threads that run the WebAssembly kernels over the backend's shared
 * memory, splitting each pass of a step into chunks of elements that the
 * calling thread and the workers claim from an atomic counter (so a slow or
 * late thread takes fewer). The calling thread works too and then waits for
 * the workers with `Atomics.wait` (polling instead on a browser's main thread,
 * which may not block). Node's `worker_threads`, or Web Workers in a
 * cross-origin-isolated page.
 *
 * Results: the update pass is elementwise (blockwise for 8-bit momentum,
 * whose blocks chunks never cut), so parameters, momentum, codes and absmax
 * are bit-identical to the single-threaded backend. The norm passes add per-piece partial sums (a piece
 * is a layer cut at chunk boundaries) per layer, in piece order: the same for
 * any thread count and schedule, and bit-identical to one thread for a layer
 * that lies inside one chunk; for a layer of n elements cut into pieces, both
 * are float64 sums of the same n non-negative terms, so they differ by at
 * most 2n·2⁻⁵³ relative. The same holds for Σu² of an 8-bit layer, which
 * one thread sums in order in one kernel call. Whole optimizer steps therefore differ from one
 * thread only through trust ratios computed from such norms (last bits).
 *
 * Failures: every chunk is marked done by the thread that finished it, and
 * the calling thread runs again every chunk left unfinished by a worker that
 * throws (a bug, a trap) or stalls (no progress for
 * {@link WasmThreadOptions.stallMs}). The norm passes only read, and in the
 * update pass workers back each chunk up before they write it
 * ({@link WasmThreadOptions.backUpChunks}), so such a failure
 * costs time, never correctness: the step completes exactly. A failed or
 * stalled worker is not used again. A worker that dies between jobs (or
 * never starts) never enters the next job, which the calling thread then
 * runs alone. With `backUpChunks: false` (in-place update) a failed
 * worker's chunk is finished piece by piece (a kernel call on a piece is
 * all-or-nothing unless it traps), and a stall inside the update throws a
 * {@link PartialStepError}, which backend fallback does not retry.
 *
 * @category Backends
 */
export class WasmThreadPool {
  /** Plans shorter than this run on the calling thread only. */
  readonly minElements: number;
  /** Elements per chunk. */
  readonly chunkElements: number;
  private readonly heap: WasmHeap;
  private readonly k: KernelExports;
  private readonly control: number;
  private readonly controlBytes: number;
  private readonly workerList: KernelWorker[];
  private readonly canBlock: boolean;
  private readonly alive: boolean[];
  private readonly exits: Promise<void>[];
  private readonly stallMs: number;
  private readonly awaitWorkers: boolean;
  private readonly backUpChunks: boolean;
  private readonly scratchBytes: number;
  /** Byte address of the workers' scratch block (2 × scratchBytes each). */
  private readonly scratch: number;
  /** Byte address of the 8-bit update kernel's scratch: the calling thread's, then each worker's ({@link Q8_SCRATCH_BYTES} each). */
  private readonly q8scratch: number;
  private tables: PlanTables | null = null;
  private warnings: string[] = [];
  private seq = 0;
  private disposed = false;

  private constructor(heap: WasmHeap, module: WebAssembly.Module, host: ThreadHost, workers: number, o: WasmThreadOptions) {
    this.heap = heap;
    this.k = instantiateKernels(module, heap.memory);
    this.minElements = o.minElements ?? 262144;
    this.chunkElements = Math.max(16, Math.ceil((o.chunkElements ?? 32768) / 16) * 16);
    this.stallMs = o.stallMs ?? 30000;
    this.awaitWorkers = o.awaitWorkers ?? false;
    this.canBlock = host.canBlock;
    this.backUpChunks = o.backUpChunks ?? true;
    // A chunk inside an 8-bit layer may be one whole block when chunks are shorter than that.
    this.scratchBytes = this.backUpChunks ? 8 * Math.max(this.chunkElements, Q8_BLOCK) : 0;
    this.controlBytes = 4 * (HEADER_INTS + SLOT_INTS * workers);
    this.control = heap.allocate(this.controlBytes);
    this.scratch = heap.allocate(2 * this.scratchBytes * workers);
    this.q8scratch = heap.allocate(Q8_SCRATCH_BYTES * (workers + 1));
    const i32 = viewsOf(heap.memory).i32;
    i32[(this.control >>> 2) + H.q8scratch] = this.q8scratch;
    this.workerList = [];
    this.alive = [];
    this.exits = [];
    for (let i = 0; i < workers; i++) {
      const s = this.slotBase(i);
      i32[s + S.state] = word(0, PHASE.closed);
      i32[s + S.current] = -1;
      i32[s + S.failAt] = -1;
      i32[s + S.scratch] = this.scratch + 2 * this.scratchBytes * i;
      i32[s + S.scratchBytes] = this.scratchBytes;
      i32[s + S.q8scratch] = this.q8scratch + Q8_SCRATCH_BYTES * (i + 1);
      const input = { memory: heap.memory, module, control: this.control, slot: i, spin: o.spin ?? 2000 };
      this.exits.push(
        new Promise((resolve) => {
          this.workerList.push(
            host.spawn(input, () => {
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
   * A pool for `heap` (which must be shared), or null when this runtime has
   * no usable threads or `threads` asks for no workers.
   *
   * @param module - the kernel module for a shared memory (`kernelModule(true)`).
   */
  static start(heap: WasmHeap, module: WebAssembly.Module, options: WasmThreadOptions = {}): WasmThreadPool | null {
    if (!heap.shared) return null;
    const host = findThreadHost();
    if (typeof host === 'string') return null;
    const threads = options.threads === undefined || options.threads === 'auto' ? host.cores : Math.floor(options.threads);
    if (!(threads >= 2)) return null;
    return new WasmThreadPool(heap, module, host, threads - 1, options);
  }

  /** Workers that can still take work (not failed, exited or disposed). */
  get workers(): number {
    return this.disposed ? 0 : this.alive.filter((a) => a).length;
  }

  /** Resolves once every worker has started its loop (or died), false if none is ready after `timeoutMs`. */
  async ready(timeoutMs = 10000): Promise<boolean> {
    const t0 = performance.now();
    for (;;) {
      const pending = this.workerList.some((_, i) => this.alive[i] && this.slot(i, S.status) === STATUS.starting);
      if (!pending || performance.now() - t0 > timeoutMs) return this.workerList.some((_, i) => this.alive[i] && this.slot(i, S.status) === STATUS.ready);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Resolves once every worker thread has exited (after {@link WasmThreadPool.dispose}, or a failure). */
  async exited(): Promise<void> {
    await Promise.all(this.exits);
  }

  /** What failed and was recovered since the last call (a worker lost, and what the calling thread redid); each message once. */
  takeWarnings(): string[] {
    const out = this.warnings;
    this.warnings = [];
    return out;
  }

  /** Jobs entered by all workers so far: proof that they did work. */
  workerJobs(): number {
    return this.workerList.reduce((a, _, i) => a + this.slot(i, S.jobs), 0);
  }

  /** Pieces (layer pieces of chunks) completed by all workers so far. */
  workerPieces(): number {
    return this.workerList.reduce((a, _, i) => a + this.slot(i, S.pieces), 0);
  }

  /** Whether a step over `plan` goes to the threads: workers alive, plan long enough (32-bit and 8-bit momentum alike). */
  accepts(plan: LayerPlan): boolean {
    return plan.length >= this.minElements && this.workers > 0;
  }

  /**
   * Test hook: worker 0 fails once it has completed `pieces` more pieces, at
   * the first point after that inside a chunk with pieces left, by throwing
   * (as a failing worker would) or, with `hang`, by sleeping inside the job
   * for about a minute (as a worker stopped from outside would).
   * `null` cancels a failure not yet reached.
   */
  failWorkerAfter(pieces: number | null, hang = false): void {
    const s = this.slotBase(0);
    const i32 = viewsOf(this.heap.memory).i32;
    Atomics.store(i32, s + S.hang, hang ? 1 : 0);
    Atomics.store(i32, s + S.failAt, pieces === null ? -1 : Atomics.load(i32, s + S.pieces) + pieces);
  }

  /** Per-layer [‖w‖², ‖g‖²] as {@link WasmBackend.layerNorms}, with operands at byte addresses `w`, `g`. */
  layerNorms(plan: LayerPlan, dtype: NumericType, w: number, g: number): Float64Array {
    const t = this.run(OP.norms, plan, dtype, w, g, null, 0, null);
    const out = new Float64Array(2 * plan.segments.length);
    const res = viewsOf(this.heap.memory).f64;
    const r = t.results >>> 3;
    for (let p = 0; p < t.pieceCount; p++) {
      const l = t.pieceLayer[p];
      out[2 * l] += res[r + 2 * p];
      out[2 * l + 1] += res[r + 2 * p + 1];
    }
    return out;
  }

  /**
   * Per-layer Σu² as {@link WasmBackend.updateNorms}, with the momentum in
   * `state` (null: none) and `book` the code book's address (`WasmCodeBook.address`) when it has 8-bit layers.
   */
  updateNorms(plan: LayerPlan, c: LayerCoefficients, dtype: NumericType, w: number, g: number, state: WasmState | WasmQuantizedState | null, book: number): Float64Array {
    const t = this.run(OP.unorm, plan, dtype, w, g, state, book, c);
    const out = new Float64Array(plan.segments.length);
    const res = viewsOf(this.heap.memory).f64;
    const r = t.results >>> 3;
    for (let p = 0; p < t.pieceCount; p++) out[t.pieceLayer[p]] += res[r + 2 * p];
    return out;
  }

  /** The fused update as {@link WasmBackend.applyUpdate}, in place; `state` and `book` as in {@link WasmThreadPool.updateNorms}. */
  applyUpdate(plan: LayerPlan, c: LayerCoefficients, dtype: NumericType, w: number, g: number, state: WasmState | WasmQuantizedState | null, book: number): void {
    this.run(OP.update, plan, dtype, w, g, state, book, c);
  }

  /**
   * Stops and terminates the workers and frees the tables and scratch, at
   * once. The control block is retired instead (never handed out again by
   * the heap), so a worker that has not exited yet keeps reading "stop"
   * there even if the heap is reused. The pool takes no more work.
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const i32 = viewsOf(this.heap.memory).i32;
    const h = this.control >>> 2;
    Atomics.store(i32, h + H.stop, 1);
    this.workerList.forEach((worker, i) => {
      Atomics.notify(i32, this.slotBase(i) + S.state);
      void worker.terminate();
      this.alive[i] = false;
    });
    this.releaseTables();
    this.heap.release(this.scratch, 2 * this.scratchBytes * this.workerList.length);
    this.heap.release(this.q8scratch, Q8_SCRATCH_BYTES * (this.workerList.length + 1));
    this.heap.retire(this.control, this.controlBytes);
  }

  /** Posts one pass, does its share, settles with every worker that entered it. */
  private run(
    op: number,
    plan: LayerPlan,
    dtype: NumericType,
    w: number,
    g: number,
    state: WasmState | WasmQuantizedState | null,
    book: number,
    c: LayerCoefficients | null,
  ): PlanTables {
    const t = this.tablesFor(plan);
    const v = viewsOf(this.heap.memory);
    const i32 = v.i32;
    const h = this.control >>> 2;
    i32[h + H.next] = 0;
    i32[h + H.op] = op;
    i32[h + H.f64] = dtype === 'float64' ? 1 : 0;
    i32[h + H.w] = w;
    i32[h + H.g] = g;
    i32[h + H.layers] = t.layers;
    i32[h + H.book] = book;
    i32[h + H.pieces] = t.pieces;
    i32[h + H.chunks] = t.chunks;
    i32[h + H.chunkCount] = t.chunkCount;
    i32[h + H.coeffs] = t.coeffs;
    i32[h + H.results] = t.results;
    const update = op === OP.update;
    // Whether the chunks a failed or stalled worker left can be run again: always, but for an in-place update.
    const redo = !update || this.backUpChunks;
    i32[h + H.scratch] = update && this.backUpChunks ? 1 : 0;
    i32[h + H.owners] = t.owners;
    i32.fill(CHUNK.pending, t.owners >>> 2, (t.owners >>> 2) + t.chunkCount);
    if (c !== null) {
      const f = v.f64;
      const base = t.coeffs >>> 3;
      const columns = [c.gradScale, c.decay, c.bufferMomentum, c.bufferGain, c.fromBuffer, c.fromDirection, c.stepScale];
      for (let l = 0; l < plan.segments.length; l++) {
        for (let j = 0; j < 7; j++) f[base + 7 * l + j] = columns[j][l];
      }
      const size = dtype === 'float64' ? 8 : 4;
      for (const s of plan.segments) {
        const entry = (t.layers >>> 2) + LAYER_INTS * s.index;
        const m = layerMomentum(state, s, size);
        i32[entry + LAYER.bits] = m.bits;
        i32[entry + LAYER.start] = s.start;
        i32[entry + LAYER.a] = m.bits === 32 ? m.buf : m.bits === 8 ? m.codes : 0;
        i32[entry + LAYER.absmax] = m.bits === 8 ? m.absmax : 0;
      }
    }
    this.seq = (this.seq + 1) & 0x0fffffff;
    const posted: number[] = [];
    for (let i = 0; i < this.workerList.length; i++) {
      if (!this.alive[i]) continue;
      const s = this.slotBase(i);
      Atomics.store(i32, s + S.state, word(this.seq, PHASE.open));
      Atomics.notify(i32, s + S.state);
      posted.push(i);
    }
    if (this.awaitWorkers) {
      const open = word(this.seq, PHASE.open);
      const until = performance.now() + 1000;
      for (const i of posted) {
        const s = this.slotBase(i);
        while (Atomics.load(i32, s + S.state) === open && performance.now() < until) waitOnWord(this.canBlock, i32, s + S.state, open, 10);
      }
    }
    try {
      claimChunks(this.k, v, this.control);
    } catch (error) {
      for (const i of posted) {
        try {
          this.settle(i, v, redo);
        } catch {
          // The calling thread's failure is the one to report.
        }
      }
      if (update) throw new PartialStepError(`the WebAssembly update pass failed on the calling thread (${(error as Error).message})`, { cause: error });
      throw error;
    }
    const lost: string[] = [];
    for (const i of posted) {
      const why = this.settle(i, v, redo);
      if (why !== null) lost.push(`worker thread ${i} ${why}`);
    }
    if (redo) {
      const redone = this.finishChunks(v, t);
      if (lost.length > 0) {
        const pass = update ? 'update' : op === OP.norms ? 'norm' : 'update-norm';
        this.warnings.push(`${lost.join(', ')} inside the ${pass} pass; the calling thread completed the ${redone} chunk(s) left, exactly, and runs later steps without it`);
      }
    }
    return t;
  }

  /**
   * After a pass whose chunks can be redone: runs each chunk no thread
   * finished, in place, after taking it so that no late worker writes it;
   * a chunk a worker was writing is first restored from that worker's
   * backup (see {@link CHUNK}).
   */
  private finishChunks(v: ReturnType<typeof viewsOf>, t: PlanTables): number {
    let redone = 0;
    const i32 = v.i32;
    const owners = t.owners >>> 2;
    const table = t.chunks >>> 2;
    for (let c = 0; c < t.chunkCount; c++) {
      for (;;) {
        const owner = Atomics.load(i32, owners + c);
        if (owner === CHUNK.done) break;
        if (owner >= CHUNK.writing) restoreChunk(this.k, v, this.control, c, owner - CHUNK.writing);
        else if (Atomics.compareExchange(i32, owners + c, owner, CHUNK.main) !== owner) continue;
        // Unchanged since the step began (pending or only claimed), or just restored: run it once, in place.
        Atomics.store(i32, owners + c, CHUNK.main);
        runPieces(this.k, v, this.control, i32[table + c], i32[table + c + 1], -1);
        Atomics.store(i32, owners + c, CHUNK.done);
        redone++;
        break;
      }
    }
    return redone;
  }

  /**
   * Closes the job for worker `i` if it never entered, else waits for it.
   * With `redo`, a failed or stalled worker is dropped and
   * {@link finishChunks} runs what it left; else (an in-place update) a
   * failed worker's chunk is finished here piece by piece and a stall
   * throws a {@link PartialStepError}.
   *
   * @returns why the worker was dropped (`'failed'`, `'stalled …'`), or null.
   */
  private settle(i: number, v: ReturnType<typeof viewsOf>, redo: boolean): string | null {
    const i32 = v.i32;
    const s = this.slotBase(i);
    const open = word(this.seq, PHASE.open);
    if (Atomics.compareExchange(i32, s + S.state, open, word(this.seq, PHASE.closed)) === open) return null;
    let progress = Atomics.load(i32, s + S.pieces);
    let since = performance.now();
    for (;;) {
      const x = Atomics.load(i32, s + S.state);
      if (x === word(this.seq, PHASE.done)) return null;
      if (x === word(this.seq, PHASE.failed)) {
        this.alive[i] = false;
        if (redo) return 'failed';
        const chunk = Atomics.load(i32, s + S.current);
        const h = this.control >>> 2;
        if (chunk >= 0 && chunk < i32[h + H.chunkCount]) {
          const table = i32[h + H.chunks] >>> 2;
          runPieces(this.k, v, this.control, i32[table + chunk] + Atomics.load(i32, s + S.currentDone), i32[table + chunk + 1], -1);
        }
        return 'failed';
      }
      if (waitOnWord(this.canBlock, i32, s + S.state, x, 200) === 'timed-out') {
        const now = Atomics.load(i32, s + S.pieces);
        if (now !== progress) {
          progress = now;
          since = performance.now();
        } else if (performance.now() - since > this.stallMs) {
          this.alive[i] = false;
          void this.workerList[i].terminate();
          if (redo) return `stalled for ${this.stallMs} ms`;
          throw new PartialStepError(`WebAssembly worker thread ${i} stalled for ${this.stallMs} ms inside a step`);
        }
      }
    }
  }

  /** The piece and chunk tables of `plan` (see {@link cutIntoChunks}), built once and kept until another plan comes. */
  private tablesFor(plan: LayerPlan): PlanTables {
    if (this.tables?.plan === plan) return this.tables;
    this.releaseTables();
    const segs = plan.segments;
    const { pieces, firstPiece } = cutIntoChunks(plan, this.chunkElements);
    const chunkCount = firstPiece.length - 1;
    const pieceCount = pieces.length / 3;
    const blocks = [pieces.length * 4, firstPiece.length * 4, segs.length * 7 * 8, pieceCount * 16, chunkCount * 4, segs.length * 4 * LAYER_INTS].map((bytes) => ({
      address: this.heap.allocate(bytes),
      bytes,
    }));
    const i32 = viewsOf(this.heap.memory).i32;
    i32.set(pieces, blocks[0].address >>> 2);
    i32.set(firstPiece, blocks[1].address >>> 2);
    const pieceLayer = new Int32Array(pieceCount);
    for (let p = 0; p < pieceCount; p++) pieceLayer[p] = pieces[3 * p];
    this.tables = {
      plan,
      pieceCount,
      chunkCount,
      pieceLayer,
      blocks,
      pieces: blocks[0].address,
      chunks: blocks[1].address,
      coeffs: blocks[2].address,
      results: blocks[3].address,
      owners: blocks[4].address,
      layers: blocks[5].address,
    };
    return this.tables;
  }

  private releaseTables(): void {
    for (const b of this.tables?.blocks ?? []) this.heap.release(b.address, b.bytes);
    this.tables = null;
  }

  /** The Int32 index of worker `i`'s slot in the memory. */
  private slotBase(i: number): number {
    return (this.control >>> 2) + HEADER_INTS + SLOT_INTS * i;
  }

  /** Field `field` of worker `i`'s slot. */
  private slot(i: number, field: number): number {
    return Atomics.load(viewsOf(this.heap.memory).i32, this.slotBase(i) + field);
  }
}
