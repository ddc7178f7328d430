import { expect } from 'chai';
import { type LayerPlan } from '../../src/core/LayerPlan.js';
import { loadRuns } from '../support/golden.js';
import { okRuns, PRESET_FOR_PEER, replayRun } from '../support/replay.js';
import { forEachBackend } from './backendTable.js';

describe('golden reference data (timm, Lightning Bolts, bitsandbytes)', () => {
  it('finds every peer and some ok runs', () => {
    expect(Object.keys(loadRuns()).sort()).to.deep.equal(Object.keys(PRESET_FOR_PEER).sort());
    expect(okRuns().length).to.be.greaterThan(10);
  });
});

forEachBackend('golden replay: params_after at every step', (b) => {
  // The golden runs are tiny: one placement per row, the one its own tests always replayed with
  // (ordinary vectors on one thread; zero-copy on threads, where only those reach the workers).
  for (const zeroCopy of b.zeroCopy.slice(-1)) {
    const bound = b.golden.maxAbs !== undefined ? `to ${b.golden.maxAbs} absolute` : `to ${b.golden.maxRel} relative L2 per layer`;
    for (const { peer, run } of okRuns()) {
      it(`${run.id} (${b.golden.dtype}, ${zeroCopy ? 'zero-copy' : 'ordinary vectors'}) ${bound}`, async function () {
        this.timeout(20000);
        const backend = await b.create();
        const since = b.work(backend);
        // An optimizer made without onWarning warns on the console: a fallback would show there.
        const warn = console.warn;
        const warnings: unknown[] = [];
        console.warn = (...args: unknown[]) => void warnings.push(args);
        let result: { maxAbs: number; maxRel: number; plan: LayerPlan };
        try {
          result = replayRun(peer, run, b.golden.dtype, backend, zeroCopy);
        } finally {
          console.warn = warn;
        }
        if (b.golden.maxAbs !== undefined) expect(result.maxAbs).to.be.at.most(b.golden.maxAbs);
        if (b.golden.maxRel !== undefined) expect(result.maxRel).to.be.at.most(b.golden.maxRel);
        expect(warnings, 'the replay fell back to another backend').to.deep.equal([]);
        b.expectWorked(backend, since, zeroCopy, result.plan);
        b.expectDisposed(backend);
      });
    }
  }
});
