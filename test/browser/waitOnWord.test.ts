import { expect } from 'chai';
import { waitOnWord, threadMayBlock } from '../../src/backends/wasm/threadHost.js';

describe('waitOnWord: Atomics.wait, or polling where the thread may not block (a page)', () => {
  it('this Node thread may block', () => {
    expect(threadMayBlock()).to.equal(true);
  });

  for (const canBlock of [true, false]) {
    const how = canBlock ? 'Atomics.wait' : 'polling';
    it(`${how}: not-equal at once, timed-out after the time, ok when another thread changes the word`, async () => {
      const i32 = new Int32Array(new SharedArrayBuffer(8));
      expect(waitOnWord(canBlock, i32, 0, 5, 1000)).to.equal('not-equal');
      const t0 = performance.now();
      expect(waitOnWord(canBlock, i32, 0, 0, 30)).to.equal('timed-out');
      expect(performance.now() - t0).to.be.at.least(25);
      // A worker stores 1 and notifies after a short sleep; the wait sees it well before its 10 s limit.
      const { Worker } = await import('node:worker_threads');
      const worker = new Worker(
        'const { workerData } = require("node:worker_threads"); const i = new Int32Array(workerData); Atomics.wait(i, 1, 0, 50); Atomics.store(i, 0, 1); Atomics.notify(i, 0);',
        { eval: true, workerData: i32.buffer },
      );
      try {
        const t1 = performance.now();
        expect(waitOnWord(canBlock, i32, 0, 0, 10000)).to.equal('ok');
        expect(performance.now() - t1).to.be.below(9000);
        expect(Atomics.load(i32, 0)).to.equal(1);
      } finally {
        await worker.terminate();
      }
    });
  }
});
