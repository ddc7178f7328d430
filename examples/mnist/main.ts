import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareTable } from './compareTable.js';
import { formatFinalLine } from './finalLine.js';
import { loadDigits } from './loadDigits.js';
import { FlagError, HELP_TEXT, parseFlags, type MnistFlags } from './parseFlags.js';
import { plotRuns } from './plotRun.js';
import { createProgressDisplay } from './progressDisplay.js';
import { runOptimizer, type RunRecord, type RunSettings } from './runOptimizer.js';

/** The runs the flags ask for: one, a SGD/LARS pair, or a pair per swept batch size. */
function plannedRuns(flags: MnistFlags): RunSettings[] {
  const base = { epochs: flags.epochs, seed: flags.seed, backend: flags.backend, hidden: flags.hidden, threads: flags.threads };
  if (flags.batchSizes !== null) {
    return flags.batchSizes.flatMap((batchSize) => [
      { ...base, optimizer: 'sgd' as const, batchSize, lr: null },
      { ...base, optimizer: 'lars' as const, batchSize, lr: null },
    ]);
  }
  if (flags.compare) {
    return [
      { ...base, optimizer: 'sgd' as const, batchSize: flags.batchSize, lr: null },
      { ...base, optimizer: 'lars' as const, batchSize: flags.batchSize, lr: null },
    ];
  }
  return [{ ...base, optimizer: flags.optimizer, batchSize: flags.batchSize, lr: flags.lr }];
}

async function main(): Promise<number> {
  let flags: MnistFlags;
  try {
    flags = parseFlags(process.argv.slice(2));
  } catch (e) {
    if (e instanceof FlagError) {
      console.error(`error: ${e.message}\n\n${HELP_TEXT}`);
      return 2;
    }
    throw e;
  }
  if (flags.help) {
    console.log(HELP_TEXT);
    return 0;
  }
  const data = loadDigits(flags.seed);
  console.log(`MNIST digits: ${data.train.x.rows} training, ${data.test.x.rows} test (split by seed ${flags.seed})`);
  const abort = new AbortController();
  process.once('SIGINT', () => {
    console.log('\nstopping after this step (Ctrl-C again to quit at once)…');
    abort.abort();
    process.once('SIGINT', () => process.exit(130));
  });
  const runs: RunRecord[] = [];
  for (const settings of plannedRuns(flags)) {
    if (abort.signal.aborted) break;
    const label = `${settings.optimizer}@${settings.batchSize}`;
    const display = createProgressDisplay(label, settings.epochs, Boolean(process.stdout.isTTY));
    const record = await runOptimizer(settings, data, {
      onProgress: (p) => display.onProgress(p),
      onEpoch: (r) => display.onEpoch(r),
      signal: abort.signal,
    });
    display.stop();
    runs.push(record);
    console.log(formatFinalLine(label, record));
  }
  if (runs.length > 1) console.log(`\n${compareTable(runs)}\n`);
  mkdirSync(flags.out, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const name = runs.length > 1 ? `compare-${stamp}` : `${runs[0].settings.optimizer}-b${runs[0].settings.batchSize}-${stamp}`;
  const svgPath = join(flags.out, `${name}.svg`);
  const jsonPath = join(flags.out, `${name}.json`);
  writeFileSync(svgPath, await plotRuns(runs));
  writeFileSync(
    jsonPath,
    JSON.stringify(
      {
        flags,
        runs: runs.map((r) => ({
          settings: r.settings,
          options: r.options,
          backend: r.backend,
          stopReason: r.result.stopReason,
          stopMessage: r.result.stopMessage,
          epochsRun: r.result.epochsRun,
          elapsedMilliseconds: r.result.elapsedMilliseconds,
          finalTestAccuracy: r.finalTestAccuracy,
          bestTestEpoch: r.bestTestEpoch,
          epochs: r.result.history,
        })),
      },
      null,
      2,
    ),
  );
  console.log(`wrote ${svgPath} and ${jsonPath}`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
