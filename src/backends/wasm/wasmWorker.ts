// The entry point of a kernel worker thread, started by WasmThreadPool: a Node
// worker_threads worker (input in workerData) or a browser module Web Worker
// (input in its first message; see threadHost.ts). It
// instantiates the kernel module over the backend's shared memory and then
// loops: wait for a job on its handshake word, enter it, claim chunks, report.
// Any exception (a bug, or a trap) is caught: the worker marks the job failed
// with how far it got, so the main thread can finish it, and then exits.
import { instantiateKernels } from './kernelModule.js';
import { nodeWorkerInput } from './nodeThreadHost.js';
import { claimChunks, H, HEADER_INTS, PHASE, phaseOf, S, SLOT_INTS, STATUS, viewsOf, word } from './threadProtocol.js';
import type { KernelWorkerInput } from './threadHost.js';
import { webWorkerInput } from './webThreadHost.js';

const input: KernelWorkerInput = nodeWorkerInput() ?? (await webWorkerInput());
const { memory, control, spin } = input;
const kernels = instantiateKernels(input.module, memory);
const h = control >>> 2;
const s = h + HEADER_INTS + SLOT_INTS * input.slot;

/** Waits until the handshake word is no longer `seen` (or stop is set); polls `spin` times first. */
function waitChange(i32: Int32Array, seen: number): void {
  for (let i = 0; i < spin; i++) {
    if (Atomics.load(i32, s + S.state) !== seen || Atomics.load(i32, h + H.stop) !== 0) return;
  }
  Atomics.wait(i32, s + S.state, seen);
}

function loop(): void {
  let v = viewsOf(memory);
  Atomics.store(v.i32, s + S.status, STATUS.ready);
  for (;;) {
    if (Atomics.load(v.i32, h + H.stop) !== 0) break;
    const seen = Atomics.load(v.i32, s + S.state);
    if (phaseOf(seen) !== PHASE.open) {
      waitChange(v.i32, seen);
      continue;
    }
    const seq = seen >>> 3;
    if (Atomics.compareExchange(v.i32, s + S.state, seen, word(seq, PHASE.busy)) !== seen) continue;
    if (v.i32.buffer.byteLength !== memory.buffer.byteLength) v = viewsOf(memory);
    const i32 = v.i32;
    Atomics.add(i32, s + S.jobs, 1);
    try {
      const ran = claimChunks(
        kernels,
        v,
        control,
        (c) => {
          Atomics.store(i32, s + S.currentDone, 0);
          Atomics.store(i32, s + S.current, c);
        },
        (p) => {
          Atomics.add(i32, s + S.currentDone, 1);
          const total = Atomics.add(i32, s + S.pieces, 1) + 1;
          // The test hook strikes inside a chunk: at least failAt pieces done, and pieces of this chunk left.
          const failAt = Atomics.load(i32, s + S.failAt);
          if (failAt < 0 || total < failAt || p + 1 >= i32[(i32[h + H.chunks] >>> 2) + i32[s + S.current] + 1]) return;
          if (Atomics.load(i32, s + S.hang) === 1) Atomics.wait(i32, s + S.hang, 1, 60000);
          else throw new Error('injected worker failure (test hook)');
        },
        input.slot,
      );
      Atomics.store(i32, s + S.current, -1);
      Atomics.add(i32, s + S.chunks, ran);
      Atomics.store(i32, s + S.state, word(seq, PHASE.done));
      Atomics.notify(i32, s + S.state);
    } catch {
      Atomics.store(i32, s + S.status, STATUS.failed);
      Atomics.store(i32, s + S.state, word(seq, PHASE.failed));
      Atomics.notify(i32, s + S.state);
      return;
    }
  }
  Atomics.store(v.i32, s + S.status, STATUS.stopped);
}

loop();
