import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs-core';
import { TfjsLARSOptimizer } from '../../src/tfjs/index.js';
import { flatten, loadSetups, type GoldenRun } from '../support/golden.js';
import { okRuns, PRESET_FOR_PEER } from '../support/replay.js';
import { TFJS_BACKENDS, useTfjsBackend } from './support/tfjsBackends.js';

/**
 * Replays a golden run (timm, Lightning Bolts, bitsandbytes, float64
 * references) through the tfjs adapter, one tfjs variable per golden tensor
 * in its own shape, and returns the largest per-tensor relative error
 * ‖w − w_ref‖/‖w_ref‖ over all steps. Golden tensors of rank 1 become
 * bias/norm variables; the presets turn bias exclusion off, as the peers do.
 */
function replayThroughTfjs(peer: string, run: GoldenRun, tag: string): number {
  const setup = loadSetups()[run.setup];
  const optimizer = new TfjsLARSOptimizer(PRESET_FOR_PEER[peer](run.kwargs));
  const vars = setup.layers.map((l) => tf.variable(tf.tensor(l.init, l.shape), true, `golden/${tag}/${run.id}/${l.name}`));
  let maxRel = 0;
  try {
    for (let step = 0; step < setup.steps; step++) {
      const grads = setup.layers.map((l, i) => ({ name: vars[i].name, tensor: tf.tensor(l.grads[step], l.shape) }));
      optimizer.applyGradients(grads);
      tf.dispose(grads.map((g) => g.tensor));
      run.layers.forEach((layer, i) => {
        const expected = flatten(layer.params_after[step]);
        const got = vars[i].dataSync();
        let diff = 0;
        let norm = 0;
        expected.forEach((e, j) => {
          diff += (got[j] - e) ** 2;
          norm += e * e;
        });
        maxRel = Math.max(maxRel, Math.sqrt(diff) / Math.max(Math.sqrt(norm), 1e-30));
      });
    }
  } finally {
    optimizer.dispose();
    tf.dispose(vars);
  }
  return maxRel;
}

for (const backend of TFJS_BACKENDS) {
  describe(`golden replay through the tfjs adapter (tfjs ${backend} backend, float32, 1e-5 relative per tensor)`, () => {
    const runs = okRuns();
    let worst = 0;
    before(async () => useTfjsBackend(backend));
    after(() => console.log(`      (worst relative error on ${backend}: ${worst.toExponential(2)})`));

    it('covers every peer', () => {
      expect(new Set(runs.map((r) => r.peer))).to.deep.equal(new Set(Object.keys(PRESET_FOR_PEER)));
    });

    for (const { peer, run } of runs) {
      it(`${run.id}`, () => {
        // Same criterion as the core's float32 replays: float32 rounding of the
        // inputs alone gives ~6e-8, five steps of float32 ops stay far below 1e-5.
        const rel = replayThroughTfjs(peer, run, backend);
        worst = Math.max(worst, rel);
        expect(rel).to.be.at.most(1e-5);
      });
    }
  });
}
