import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { RunRecord } from './runOptimizer.js';

/**
 * An SVG with two panels side by side: training loss and test accuracy per
 * epoch, one line per run. Rendered headlessly with vega-lite.
 */
export async function plotRuns(runs: readonly RunRecord[]): Promise<string> {
  const rows = runs.flatMap((run) =>
    run.result.history.map((e) => ({
      run: `${run.settings.optimizer} b=${run.settings.batchSize}`,
      epoch: e.epoch,
      trainLoss: e.trainLoss,
      testAccuracy: e.testAccuracy,
    })),
  );
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    data: { values: rows },
    hconcat: [
      panel('training loss', { field: 'trainLoss', type: 'quantitative', scale: { type: 'log' }, title: 'cross-entropy' }),
      panel('test accuracy', { field: 'testAccuracy', type: 'quantitative', scale: { domain: [0, 1] }, title: 'accuracy' }),
    ],
  };
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  return view.toSVG();
}

/** One panel: a line per run of `y` against the epoch, 360 × 240. */
function panel(
  title: string,
  y: { field: string; type: 'quantitative'; scale: { type: 'log' } | { domain: [number, number] }; title: string },
) {
  return {
    title,
    width: 360,
    height: 240,
    mark: { type: 'line' as const, point: false },
    encoding: {
      x: { field: 'epoch', type: 'quantitative' as const },
      y,
      color: { field: 'run', type: 'nominal' as const, title: 'run' },
    },
  };
}
