import type { RunRecord } from './runOptimizer.js';

/**
 * The line printed after a run: why it stopped, the test accuracy of the
 * parameters the model was left with, and which epoch those parameters come
 * from (training keeps the epoch with the lowest monitored loss, not the last
 * one), beside the best test accuracy any epoch reached.
 */
export function formatFinalLine(label: string, record: RunRecord): string {
  const r = record.result;
  const percent = (x: number) => `${(x * 100).toFixed(2)}%`;
  const kept =
    r.bestEpoch === 0
      ? 'the starting parameters (no epoch improved the loss)'
      : `the parameters of epoch ${r.bestEpoch} of ${r.epochsRun} (lowest ${r.monitored === 'validation' ? 'validation' : 'training'} loss)`;
  const bestTest = r.history.find((e) => e.epoch === record.bestTestEpoch)?.testAccuracy ?? null;
  const best = bestTest === null ? '' : `; best test accuracy ${percent(bestTest)} at epoch ${record.bestTestEpoch}`;
  return (
    `${label}: stopped (${r.stopReason}: ${r.stopMessage}); test accuracy ${percent(record.finalTestAccuracy)} with ${kept}${best}; ` +
    `${(r.elapsedMilliseconds / 1000).toFixed(1)} s on backend ${record.backend}`
  );
}
