// The entry point of a dense worker thread, started by DenseThreads (Node
// worker_threads; input in workerData). It instantiates the dense kernels
// over the arena's shared memory with its own scratch and loops: wait for a
// job on its handshake word, enter it, claim blocks of rows, report. An
// exception (a bug, a trap, the test hook) marks the job failed and ends the
// worker; the calling thread then runs the blocks it left.
import type { DenseExports } from './DenseArena.js';
import { denseWorkerInput } from './denseThreadHost.js';
import { claimBlocks, DENSE_HEADER_INTS, DENSE_PHASE, DENSE_SLOT_INTS, DH, DS } from './denseThreadProtocol.js';
import { STATUS, word } from '../../backends/wasm/threadProtocol.js';

const input = denseWorkerInput();
if (input === null) throw new Error('denseWorker.js runs only as a worker thread started by DenseThreads');
const { memory, spin } = input;
const kernels = new WebAssembly.Instance(input.module, { env: { memory } }).exports as unknown as DenseExports;
const i32 = new Int32Array(memory.buffer);
const h = input.control >>> 2;
const s = h + DENSE_HEADER_INTS + DENSE_SLOT_INTS * input.slot;
const done = h + DENSE_HEADER_INTS + DENSE_SLOT_INTS * input.workers;
kernels.set_scratch(i32[s + DS.scratch]);

/** Waits until the handshake word is no longer `seen` (or stop is set); polls `spin` times first. */
function waitChange(seen: number): void {
  for (let i = 0; i < spin; i++) {
    if (Atomics.load(i32, s + DS.state) !== seen || Atomics.load(i32, h + DH.stop) !== 0) return;
  }
  Atomics.wait(i32, s + DS.state, seen);
}

/** The test hook: fail (throw, or hang) once the worker has computed `failAt` rows. */
function hook(): void {
  const failAt = Atomics.load(i32, s + DS.failAt);
  if (failAt < 0 || Atomics.load(i32, s + DS.rows) < failAt) return;
  if (Atomics.load(i32, s + DS.hang) === 1) Atomics.wait(i32, s + DS.hang, 1, 60000);
  else throw new Error('injected dense worker failure (test hook)');
}

function loop(): void {
  Atomics.store(i32, s + DS.status, STATUS.ready);
  for (;;) {
    if (Atomics.load(i32, h + DH.stop) !== 0) break;
    const seen = Atomics.load(i32, s + DS.state);
    if ((seen & 7) !== DENSE_PHASE.open) {
      waitChange(seen);
      continue;
    }
    const seq = seen >>> 3;
    const busy = word(seq, DENSE_PHASE.busy);
    if (Atomics.compareExchange(i32, s + DS.state, seen, busy) !== seen) continue;
    Atomics.add(i32, s + DS.jobs, 1);
    try {
      claimBlocks(kernels, i32, h, done, {
        before() {
          hook();
          // Dropped meanwhile (declared stalled): write nothing more.
          if (Atomics.load(i32, s + DS.state) !== busy) throw new Error('dropped by the calling thread');
        },
        after(rows) {
          Atomics.add(i32, s + DS.rows, rows);
        },
      });
      Atomics.store(i32, s + DS.state, word(seq, DENSE_PHASE.done));
      Atomics.notify(i32, s + DS.state);
    } catch {
      Atomics.store(i32, s + DS.status, STATUS.failed);
      Atomics.compareExchange(i32, s + DS.state, busy, word(seq, DENSE_PHASE.failed));
      Atomics.notify(i32, s + DS.state);
      return;
    }
  }
  Atomics.store(i32, s + DS.status, STATUS.stopped);
}

loop();
