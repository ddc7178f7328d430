import { expect } from 'chai';
import { CpuBackend } from '../../src/backends/js/CpuBackend.js';
import { okRuns, PRESET_FOR_PEER, replayRun } from '../support/replay.js';
import { loadRuns } from '../support/golden.js';

describe('golden replay against timm, Lightning Bolts and bitsandbytes (float64, CPU)', () => {
  const runs = okRuns();

  it('finds every peer and some ok runs', () => {
    expect(Object.keys(loadRuns()).sort()).to.deep.equal(Object.keys(PRESET_FOR_PEER).sort());
    expect(runs.length).to.be.greaterThan(10);
  });

  for (const { peer, run } of runs) {
    it(`${run.id} matches params_after at every step to 1e-12`, () => {
      const { maxAbs } = replayRun(peer, run, 'float64', new CpuBackend());
      expect(maxAbs).to.be.at.most(1e-12);
    });
  }
});
