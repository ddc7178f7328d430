// Functions that run inside the test page, where the browser bundles are
// `window.lars` (lars-ts.js and backends.js together). Playwright sends each
// function as source text, so each must be self-contained: no closures, no
// imports at run time (types only).
import type * as Root from '../../../src/index.js';
import type * as Backends from '../../../src/backends/index.js';

/** The types the page code names. */
declare namespace LarsModule {
  type OptimizerBackend = Backends.OptimizerBackend;
  type LARSOptimizerOptions = Root.LARSOptimizerOptions;
  type Vector<T extends Root.NumericType> = Root.Vector<T>;
}

/** The bundles' exports, as the page sees them. */
export type Lars = typeof Root & typeof Backends;

/** Which backend a page run uses: the JS loops, WebAssembly on one thread, WebAssembly with Web Workers, or gpu.js WebGL. */
export type PageBackend = 'js' | 'wasm' | 'threads' | 'gpu';

/** What {@link replayInPage} needs. */
export interface ReplayArgs {
  /** Golden peer key → name of the preset in `lars.presets` (e.g. `timm_Lars` → `timm`). */
  readonly presets: Record<string, string>;
  readonly backend: PageBackend;
  readonly dtype: 'float32' | 'float64';
}

/** One replayed golden run, with the proof of where it ran. */
export interface ReplayOutcome {
  readonly id: string;
  /** Largest absolute parameter error over all steps. */
  readonly maxAbs: number;
  /** Largest per-layer relative error (‖Δ‖/‖expected‖) over all steps. */
  readonly maxRel: number;
  /** `optimizer.backendName` after the last step. */
  readonly backendName: string;
  /** Warnings the optimizer gave (a fallback would show here). */
  readonly warnings: string[];
  /** Threads: passes the Web Workers entered, and pieces they computed. */
  readonly workerJobs: number;
  readonly workerPieces: number;
  /** GPU: kernel launches, and the WebGL renderer's name. */
  readonly launches: number;
  readonly renderer: string;
}

/**
 * Replays every `ok` golden run (fetched from the test server) through its
 * preset, one layer per tensor, on the chosen backend, as
 * test/support/replay.ts does in Node; threads and WebAssembly use vectors
 * from `allocateVector` (zero-copy).
 */
export async function replayInPage(args: ReplayArgs): Promise<ReplayOutcome[]> {
  const lars = (window as unknown as { lars: Lars }).lars;
  type Run = { id: string; setup: string; status: string; kwargs: Record<string, number | boolean>; layers: { params_after: unknown[] }[] };
  type Setup = { steps: number; layers: { name: string; init: number[]; grads: number[][] }[] };
  const get = async (file: string) => {
    const response = await fetch(`/test/fixtures/golden/${file}`);
    if (!response.ok) throw new Error(`${file}: HTTP ${response.status}`);
    return response.json();
  };
  const flatten = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flatten) : [v as number]);
  const setups = (await get('setups.json')).setups as Record<string, Setup>;
  const outcomes: ReplayOutcome[] = [];
  for (const [peer, presetName] of Object.entries(args.presets)) {
    const runs = (await get(`runs_${peer}.json`)).runs as Run[];
    for (const run of runs.filter((r) => r.status === 'ok')) {
      const preset = (lars.presets as unknown as Record<string, (k: unknown) => LarsModule.LARSOptimizerOptions>)[presetName];
      const s = setups[run.setup];
      const layout = s.layers.map((l) => ({ name: l.name, size: l.init.length, kind: 'weight' as const }));
      let backend: LarsModule.OptimizerBackend;
      if (args.backend === 'js') backend = new lars.CpuBackend();
      else if (args.backend === 'wasm') backend = lars.WasmBackend.create()!;
      else if (args.backend === 'threads') {
        // The golden plans are tiny: 16-element chunks, no threshold, and the caller waits for the workers to enter each pass.
        const threaded = lars.WasmBackend.createThreaded({ threads: 3, minElements: 0, chunkElements: 16, awaitWorkers: true });
        if (threaded?.threads == null) throw new Error('no Web Workers started');
        if (!(await threaded.threads.ready())) throw new Error('the Web Workers never became ready');
        backend = threaded;
      } else {
        // Straight to WebGL2 (selection and its self-check are tested on their own; each would compile its own kernels).
        backend = new lars.GpuJsBackend({ mode: 'webgl2' });
      }
      const pool = backend instanceof lars.WasmBackend ? backend.threads : null;
      const gpu = backend instanceof lars.GpuJsBackend ? backend : null;
      const warnings: string[] = [];
      const opt = new lars.LARSOptimizer(null, preset(run.kwargs), { backend, layout, onWarning: (m) => void warnings.push(m) });
      const init = s.layers.flatMap((l) => l.init);
      const zeroCopy = args.backend === 'wasm' || args.backend === 'threads';
      const vector = () => (zeroCopy ? opt.allocateVector(init.length, args.dtype) : lars.Vector.zeros(init.length, args.dtype));
      const w = vector();
      const g = vector();
      w.data.set(init);
      let maxAbs = 0;
      let maxRel = 0;
      for (let step = 0; step < s.steps; step++) {
        g.data.set(s.layers.flatMap((l) => l.grads[step]));
        opt.step(w, g);
        let offset = 0;
        for (const layer of run.layers) {
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
        }
      }
      let renderer = '';
      // The context opens with the first kernel.
      const gl = gpu?.context as WebGLRenderingContext | null | undefined;
      if (gl != null) {
        const info = gl.getExtension('WEBGL_debug_renderer_info');
        renderer = `${gl.getParameter(gl.VERSION)}; ${info === null ? '?' : gl.getParameter(info.UNMASKED_RENDERER_WEBGL)}`;
      }
      const outcome: ReplayOutcome = {
        id: run.id,
        maxAbs,
        maxRel,
        backendName: opt.backendName,
        warnings,
        workerJobs: pool?.workerJobs() ?? 0,
        workerPieces: pool?.workerPieces() ?? 0,
        launches: gpu?.launches ?? 0,
        renderer,
      };
      opt.dispose();
      outcomes.push(outcome);
    }
  }
  return outcomes;
}

/** What {@link badInputInPage} reports for one backend and one kind of bad input. */
export interface BadInputOutcome {
  readonly backend: PageBackend;
  readonly spoil: string;
  readonly backendName: string;
  /** The error's name and code (`OptimizerInputError`, e.g. `non-finite-gradient`), or `none`. */
  readonly error: string;
  /** Parameters changed by the rejected step (count of elements). */
  readonly changed: number;
  /** Largest difference between the next good step and a fresh optimizer's same step (the state was untouched). */
  readonly afterwards: number;
  readonly warnings: string[];
  /** Threads: passes the Web Workers entered (0 elsewhere). */
  readonly workerJobs: number;
}

/**
 * On each backend: one good step, then a step with bad input (must throw and
 * change nothing), then a good step that must equal what an optimizer that
 * never saw the bad input does.
 */
export async function badInputInPage(backends: PageBackend[]): Promise<BadInputOutcome[]> {
  const lars = (window as unknown as { lars: Lars }).lars;
  const n = 5000;
  const layout = [
    { name: 'a', size: 1000, kind: 'weight' as const },
    { name: 'b', size: 4000, kind: 'weight' as const },
  ];
  const make = async (which: PageBackend): Promise<LarsModule.OptimizerBackend> => {
    if (which === 'js') return new lars.CpuBackend();
    if (which === 'wasm') return lars.WasmBackend.create()!;
    if (which === 'threads') {
      const b = lars.WasmBackend.createThreaded({ threads: 3, minElements: 0, chunkElements: 256, awaitWorkers: true })!;
      await b.threads?.ready();
      return b;
    }
    return new lars.GpuJsBackend({ mode: 'webgl2' });
  };
  const spoils: [string, (w: LarsModule.Vector<'float32'>, g: LarsModule.Vector<'float32'>) => [LarsModule.Vector<'float32'>, LarsModule.Vector<'float32'>]][] = [
    ['NaN gradient', (w, g) => {
      const bad = g.clone();
      bad.data[4321] = NaN;
      return [w, bad];
    }],
    ['infinite parameter', (w, g) => {
      w.data[7] = Infinity;
      return [w, g];
    }],
    ['length mismatch', (w) => [w, lars.Vector.zeros(n - 1, 'float32')]],
  ];
  const fill = (v: LarsModule.Vector<'float32'>, seed: number, scale: number) => {
    for (let i = 0; i < v.length; i++) v.data[i] = scale * Math.sin(seed + 0.37 * i);
  };
  const out: BadInputOutcome[] = [];
  for (const which of backends) {
    for (const [spoil, apply] of spoils) {
      const warnings: string[] = [];
      const options = { initialLearningRate: 0.5, momentum: 0.9, weightDecay: 1e-4, warmupEpochs: 0, learningRateSchedule: 'constant' as const };
      const opt = new lars.LARSOptimizer(null, options, { backend: await make(which), layout, onWarning: (m) => void warnings.push(m) });
      const ref = new lars.LARSOptimizer(null, options, { backend: new lars.CpuBackend(), layout });
      const w = opt.allocateVector(n, 'float32');
      const g = opt.allocateVector(n, 'float32');
      const wRef = lars.Vector.zeros(n, 'float32');
      const gRef = lars.Vector.zeros(n, 'float32');
      fill(w, 1, 1);
      fill(wRef, 1, 1);
      fill(g, 2, 0.01);
      fill(gRef, 2, 0.01);
      opt.step(w, g);
      ref.step(wRef, gRef);
      const before = w.data.slice();
      const saved = w.data[7];
      let error = 'none';
      try {
        const [bw, bg] = apply(w, g);
        opt.step(bw, bg);
      } catch (e) {
        error = `${(e as Error).name} ${(e as { code?: string }).code ?? ''}`.trim();
      }
      if (spoil === 'infinite parameter') w.data[7] = saved;
      let changed = 0;
      for (let i = 0; i < n; i++) if (!Object.is(w.data[i], before[i]) && !(spoil === 'infinite parameter' && i === 7)) changed++;
      fill(g, 3, 0.02);
      fill(gRef, 3, 0.02);
      opt.step(w, g);
      ref.step(wRef, gRef);
      let afterwards = 0;
      for (let i = 0; i < n; i++) afterwards = Math.max(afterwards, Math.abs(w.data[i] - wRef.data[i]));
      const b = (opt as unknown as { chain: { backend: LarsModule.OptimizerBackend } }).chain.backend;
      const workerJobs = b instanceof lars.WasmBackend ? (b.threads?.workerJobs() ?? 0) : 0;
      out.push({ backend: which, spoil, backendName: opt.backendName, error, changed, afterwards, warnings, workerJobs });
      opt.dispose();
      ref.dispose();
    }
  }
  return out;
}

/** What the page says about threads: its isolation, and what an optimizer asking for 2 CPU threads got. */
export interface ThreadsOutcome {
  readonly crossOriginIsolated: boolean;
  readonly backendName: string;
  /** Workers of the optimizer's backend (0 without a pool). */
  readonly workers: number;
  readonly warnings: string[];
}

/** Builds a LARS optimizer with `cpuThreads: 2` and reports what it got. */
export async function threadsInPage(): Promise<ThreadsOutcome> {
  const lars = (window as unknown as { lars: Lars }).lars;
  const warnings: string[] = [];
  const opt = new lars.LARSOptimizer(null, { backend: 'cpu', cpuThreads: 2 }, { onWarning: (m) => void warnings.push(m), layout: [{ name: 'w', size: 8, kind: 'weight' }] });
  const b = (opt as unknown as { chain: { backend: LarsModule.OptimizerBackend } }).chain.backend;
  const pool = b instanceof lars.WasmBackend ? b.threads : null;
  if (pool !== null) await pool.ready();
  const outcome = { crossOriginIsolated: (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true, backendName: opt.backendName, workers: pool?.workers ?? 0, warnings };
  opt.dispose();
  return outcome;
}

/** What backend selection does in the page: `'gpu'` and `'auto'`, with their warnings or errors. */
export interface SelectionOutcome {
  readonly gpu: string;
  readonly auto: string;
  readonly autoReason: string;
}

/** Asks for `backend: 'gpu'` and `'auto'` through the options, as an application would. */
export function selectionInPage(): SelectionOutcome {
  const lars = (window as unknown as { lars: Lars }).lars;
  const layout = [{ name: 'w', size: 8, kind: 'weight' as const }];
  const gpu = new lars.LARSOptimizer(null, { backend: 'gpu' }, { layout });
  const auto = new lars.LARSOptimizer(null, { backend: 'auto' }, { layout });
  const probe = lars.probeGpuBackend();
  if ('backend' in probe) probe.backend.dispose();
  const outcome = { gpu: gpu.backendName, auto: auto.backendName, autoReason: 'reason' in probe ? probe.reason : 'a GPU was found' };
  gpu.dispose();
  auto.dispose();
  return outcome;
}

/** What {@link eightBitThreadsInPage} found. */
export interface EightBitThreadsOutcome {
  /** Parameters that differ from one thread after the steps (bit for bit), of `compared`. */
  readonly differing: number;
  readonly compared: number;
  /** Whether the saved states (codes, absmax, 32-bit values, as base64) are equal. */
  readonly sameState: boolean;
  /** The state width of each layer, as saved by the threaded run. */
  readonly bits: number[];
  /** Passes and pieces the Web Workers took. */
  readonly workerJobs: number;
  readonly workerPieces: number;
  readonly warnings: string[];
}

/**
 * LARS with 8-bit momentum (`optimBits: 8`, layers of 1000+ elements
 * quantized, smaller ones 32-bit) on WebAssembly with 3 Web Workers and on
 * one thread, 4 steps from the same data: the parameters and the 8-bit
 * codes must agree bit for bit, and the workers must have done part of the work.
 */
export async function eightBitThreadsInPage(): Promise<EightBitThreadsOutcome> {
  const lars = (window as unknown as { lars: Lars }).lars;
  const layout = [
    { name: 'a', size: 5001, kind: 'weight' as const },
    { name: 'b', size: 700, kind: 'weight' as const },
    { name: 'c', size: 9999, kind: 'weight' as const },
    { name: 'd', size: 33, kind: 'bias' as const },
  ];
  const n = layout.reduce((a, l) => a + l.size, 0);
  const options = { initialLearningRate: 0.5, momentum: 0.9, weightDecay: 1e-4, warmupEpochs: 0, learningRateSchedule: 'constant' as const, optimBits: 8 as const, min8bitSize: 1000 };
  const threaded = lars.WasmBackend.createThreaded({ threads: 3, minElements: 0, chunkElements: 1024, awaitWorkers: true })!;
  if (threaded.threads === null || !(await threaded.threads.ready())) throw new Error('no Web Workers started');
  const warnings: string[] = [];
  const run = (backend: LarsModule.OptimizerBackend) => {
    const opt = new lars.LARSOptimizer(null, options, { backend, layout, onWarning: (m) => void warnings.push(m) });
    const w = opt.allocateVector(n, 'float32');
    const g = opt.allocateVector(n, 'float32');
    for (let i = 0; i < n; i++) w.data[i] = Math.sin(1 + 0.37 * i);
    for (let s = 0; s < 4; s++) {
      for (let i = 0; i < n; i++) g.data[i] = 0.01 * Math.sin(2 + s + 0.91 * i);
      opt.step(w, g);
    }
    return { opt, w: w.data, state: opt.saveState() };
  };
  const one = run(lars.WasmBackend.create()!);
  const many = run(threaded);
  let differing = 0;
  for (let i = 0; i < n; i++) if (!Object.is(one.w[i], many.w[i])) differing++;
  const outcome = {
    differing,
    compared: n,
    sameState: JSON.stringify(one.state) === JSON.stringify(many.state),
    bits: (many.state.momentum ?? []).map((l) => l.bits),
    workerJobs: threaded.threads.workerJobs(),
    workerPieces: threaded.threads.workerPieces(),
    warnings,
  };
  one.opt.dispose();
  many.opt.dispose();
  return outcome;
}
