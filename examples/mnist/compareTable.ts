import type { RunRecord } from './runOptimizer.js';

/**
 * A plain-text table of runs: optimizer, batch, lr, final test accuracy,
 * best epoch (by test accuracy), epochs run, whether it diverged, and time.
 */
export function compareTable(runs: readonly RunRecord[]): string {
  const header = ['optimizer', 'batch', 'lr', 'final test acc', 'best epoch', 'epochs', 'diverged?', 'time'];
  const rows = runs.map((r) => [
    r.settings.optimizer,
    String(r.settings.batchSize),
    String((r.options as { initialLearningRate: number }).initialLearningRate),
    `${(r.finalTestAccuracy * 100).toFixed(2)}%`,
    String(r.bestTestEpoch),
    String(r.result.epochsRun),
    r.result.stopReason === 'non-finite-loss' ? 'yes' : 'no',
    `${(r.result.elapsedMilliseconds / 1000).toFixed(1)} s`,
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c].length)));
  const line = (cells: string[]) => `| ${cells.map((cell, c) => cell.padEnd(widths[c])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}
