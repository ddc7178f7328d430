import { expect } from 'chai';
import { LARSOptimizer, presets, Vector, type LARSOptimizerOptions } from '../../src/index.js';
import { type LayerPlan } from '../../src/core/LayerPlan.js';
import { type OptimizerBackend } from '../../src/core/OptimizerBackend.js';
import { flatten, loadRuns, loadSetups, type GoldenRun } from './golden.js';

/** How each peer's runs map to a preset; the file key is `runs_<key>.json`. */
export const PRESET_FOR_PEER: Record<string, (kwargs: Record<string, number | boolean>) => LARSOptimizerOptions> = {
  timm_Lars: (k) => presets.timm(k),
  bolts_LARS: (k) => presets.bolts(k as { lr: number }),
  bnb_PytorchLARS: (k) => presets.bitsandbytes(k),
};

/** Every `ok` golden run with its peer key. */
export function okRuns(): { peer: string; run: GoldenRun }[] {
  const out: { peer: string; run: GoldenRun }[] = [];
  for (const [peer, runs] of Object.entries(loadRuns())) {
    for (const run of runs) if (run.status === 'ok') out.push({ peer, run });
  }
  return out;
}

/**
 * Replays one golden run through its preset with one layer per tensor, in the
 * given numeric type on the given backend (with `backendVectors`, on vectors
 * from the optimizer's `allocateVector`), and returns the largest absolute
 * and per-layer relative error over all steps, and the optimizer's layer plan.
 */
export function replayRun(
  peer: string,
  run: GoldenRun,
  dtype: 'float32' | 'float64',
  backend: OptimizerBackend,
  backendVectors = false,
): { maxAbs: number; maxRel: number; plan: LayerPlan } {
  const preset = PRESET_FOR_PEER[peer];
  expect(preset, `no preset for peer ${peer}`).to.be.a('function');
  const s = loadSetups()[run.setup];
  const layout = s.layers.map((l) => ({ name: l.name, size: l.init.length, kind: 'weight' as const }));
  const opt = new LARSOptimizer(null, preset(run.kwargs), { backend, layout });
  // With backendVectors, w and g come from the optimizer (zero-copy on the WebAssembly backend).
  const init = s.layers.flatMap((l) => l.init);
  const vector = (): Vector<'float32' | 'float64'> => (backendVectors ? opt.allocateVector(init.length, dtype) : Vector.zeros(init.length, dtype));
  const w = vector();
  const g = vector();
  w.data.set(init);
  let maxAbs = 0;
  let maxRel = 0;
  for (let step = 0; step < s.steps; step++) {
    g.data.set(s.layers.flatMap((l) => l.grads[step]));
    opt.step(w, g);
    let offset = 0;
    run.layers.forEach((layer) => {
      const expected = flatten(layer.params_after[step]);
      let diff = 0;
      let norm = 0;
      expected.forEach((e, i) => {
        const d = w.data[offset + i] - e;
        maxAbs = Math.max(maxAbs, Math.abs(d));
        diff += d * d;
        norm += e * e;
      });
      maxRel = Math.max(maxRel, Math.sqrt(diff) / Math.max(Math.sqrt(norm), 1e-30));
      offset += expected.length;
    });
  }
  const plan = opt.layerPlan!;
  opt.dispose();
  return { maxAbs, maxRel, plan };
}
