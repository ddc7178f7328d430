// The demo page's controller: reads the settings (form or query string),
// loads the digits, trains LARS and momentum SGD side by side (their steps
// interleave: each optimize() yields to the page after every step), and
// draws progress, the chart and the backends that really ran.
// window.larsDemo exposes the run's state to tests.
import { type EpochRecord } from '../../src/index.js';
import { buildDemoOptimizers, OPTIMIZER_NAMES } from './demoOptimizers.js';
import { settingsFromQuery, type DemoSettings } from './demoSettings.js';
import { parseDigits, type DigitSplit } from './digitsBinary.js';
import { EpochChart } from './epochChart.js';

/** What the page exposes as `window.larsDemo`. */
interface DemoState {
  status: 'loading' | 'ready' | 'training' | 'done' | 'stopped' | 'error';
  settings: DemoSettings | null;
  /** Optimizer name → backend that ran it (`optimizer.backendName`). */
  backends: Record<string, string>;
  /** Optimizer name → its epoch records so far. */
  epochs: Record<string, EpochRecord[]>;
  warnings: string[];
  error: string | null;
  /** Points the chart holds. */
  chartPoints: number;
}

const state: DemoState = { status: 'loading', settings: null, backends: {}, epochs: {}, warnings: [], error: null, chartPoints: 0 };
(window as unknown as { larsDemo: DemoState }).larsDemo = state;

const $ = <E extends HTMLElement>(id: string) => document.getElementById(id) as E;
const form = $<HTMLFormElement>('controls');
const startButton = $<HTMLButtonElement>('start');
const stopButton = $<HTMLButtonElement>('stop');
const statusLine = $('status');
const backendsLine = $('backends');
const progress = $<HTMLProgressElement>('progress');
const warningList = $('warnings');
const summary = $<HTMLTableElement>('summary');
const chart = new EpochChart($('chart'));
let digits: { buffer: ArrayBuffer; split: DigitSplit | null; key: string } | null = null;
let controller: AbortController | null = null;

function setStatus(status: DemoState['status'], text: string): void {
  state.status = status;
  statusLine.textContent = text;
}

function warn(message: string): void {
  state.warnings.push(message);
  const item = document.createElement('li');
  item.textContent = message;
  warningList.append(item);
}

/** The form's values as a query, over the page's own query. */
function formQuery(): URLSearchParams {
  const query = new URLSearchParams(location.search);
  for (const name of ['backend', 'batch', 'epochs', 'hidden', 'train', 'larsLr', 'sgdLr']) query.set(name, (form.elements.namedItem(name) as HTMLInputElement).value);
  return query;
}

function fillForm(s: DemoSettings): void {
  const values: Record<string, string> = { backend: s.backend, batch: `${s.batchSize}`, epochs: `${s.epochs}`, hidden: `${s.hidden}`, train: `${s.trainCount}`, larsLr: `${s.larsLearningRate}`, sgdLr: s.sgdLearningRate === null ? '' : `${s.sgdLearningRate}` };
  for (const [name, value] of Object.entries(values)) (form.elements.namedItem(name) as HTMLInputElement).value = value;
}

function splitFor(s: DemoSettings): DigitSplit {
  const key = `${s.seed}/${s.trainCount}/${s.testCount}`;
  if (digits!.split === null || digits!.key !== key) digits = { buffer: digits!.buffer, split: parseDigits(digits!.buffer, s.seed, s.trainCount, s.testCount), key };
  return digits!.split!;
}

function showSummary(): void {
  const rows = OPTIMIZER_NAMES.map((name) => {
    const records = state.epochs[name] ?? [];
    const last = records[records.length - 1];
    const ms = records.reduce((a, r) => a + r.milliseconds, 0) / Math.max(1, records.length);
    return `<tr><td>${name}</td><td>${state.backends[name] ?? ''}</td><td>${last ? `${(100 * (last.testAccuracy ?? 0)).toFixed(1)} %` : ''}</td><td>${last ? last.trainLoss.toFixed(3) : ''}</td><td>${last ? `${ms.toFixed(0)} ms` : ''}</td></tr>`;
  });
  summary.innerHTML = `<tr><th>optimizer</th><th>backend</th><th>test accuracy</th><th>training loss</th><th>per epoch</th></tr>${rows.join('')}`;
}

async function train(s: DemoSettings): Promise<void> {
  state.settings = s;
  state.epochs = {};
  state.backends = {};
  state.warnings = [];
  warningList.textContent = '';
  await chart.clear();
  state.chartPoints = 0;
  const split = splitFor(s);
  const optimizers = buildDemoOptimizers(s, warn);
  OPTIMIZER_NAMES.forEach((name, i) => (state.backends[name] = optimizers[i].backendName));
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  backendsLine.textContent =
    `running on: ${OPTIMIZER_NAMES.map((n) => `${n} → ${state.backends[n]}`).join(', ')}` +
    ` · page ${isolated ? 'cross-origin isolated (Web Workers can share memory)' : 'not cross-origin isolated (one thread)'}`;
  const stepsPerEpoch = Math.ceil(s.trainCount / s.batchSize);
  const total = 2 * s.epochs * stepsPerEpoch;
  let done = 0;
  progress.max = total;
  progress.value = 0;
  controller = new AbortController();
  stopButton.disabled = false;
  startButton.disabled = true;
  setStatus('training', `training ${s.epochs} epochs of ${s.trainCount} images, batch ${s.batchSize}…`);
  showSummary();
  try {
    const results = await Promise.all(
      optimizers.map((opt, i) =>
        opt.optimize(
          { xTrain: split.train.x, yTrain: split.train.y, xTest: split.test.x, yTest: split.test.y },
          {
            signal: controller!.signal,
            onProgress: () => void (progress.value = ++done),
            onEpoch: (record) => {
              const name = OPTIMIZER_NAMES[i];
              (state.epochs[name] ??= []).push(record);
              // The backend can move down mid-run (a GPU failure); show where it runs now.
              state.backends[name] = opt.backendName;
              const points = [
                { optimizer: name, epoch: record.epoch, metric: 'training loss', value: record.trainLoss },
                { optimizer: name, epoch: record.epoch, metric: 'test accuracy', value: record.testAccuracy ?? 0 },
              ];
              state.chartPoints += points.length;
              void chart.add(points);
              showSummary();
            },
          },
        ),
      ),
    );
    const stopped = results.some((r) => r.stopReason === 'aborted');
    setStatus(stopped ? 'stopped' : 'done', stopped ? 'stopped: the best parameters so far are kept' : `done: ${results.map((r, i) => `${OPTIMIZER_NAMES[i]} ${r.stopMessage}`).join('; ')}`);
  } finally {
    optimizers.forEach((o) => o.dispose());
    controller = null;
    stopButton.disabled = true;
    startButton.disabled = false;
  }
}

async function run(query: URLSearchParams): Promise<void> {
  try {
    await train(settingsFromQuery(query));
  } catch (error) {
    state.error = (error as Error).message;
    setStatus('error', `error: ${state.error}`);
    startButton.disabled = false;
    stopButton.disabled = true;
  }
}

async function main(): Promise<void> {
  const query = new URLSearchParams(location.search);
  const settings = settingsFromQuery(query);
  fillForm(settings);
  await chart.start();
  const response = await fetch('./digits.bin');
  if (!response.ok) throw new Error(`digits.bin: HTTP ${response.status} (run npm run build:demo)`);
  digits = { buffer: await response.arrayBuffer(), split: null, key: '' };
  setStatus('ready', 'ready: press Train');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void run(formQuery());
  });
  stopButton.addEventListener('click', () => controller?.abort());
  if (query.has('autostart')) await run(query);
}

main().catch((error: Error) => {
  state.error = error.message;
  setStatus('error', `error: ${error.message}`);
});
