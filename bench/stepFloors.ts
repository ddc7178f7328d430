import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import initWabt from 'wabt';
import { LARSOptimizer, presets, type NumericType } from '../src/index.js';
import { WasmBackend } from '../src/backends/wasm/WasmBackend.js';
import { instantiateKernels, kernelModule, type KernelExports } from '../src/backends/wasm/kernelModule.js';
import { bytesPerElement } from '../src/numeric/NumericType.js';
import { buildCReference, C_FLAGS, runCReference, type CPassOrder } from './cReference.js';
import { fillRandom, sampleRuns, summarize } from './harness.js';
import { resnet50LikeLayout } from './resnet50Layout.js';
import type { BenchSuite } from './suites.js';

/** Rounds: every row runs once per round, in turn, so a load change hits all of them alike. */
const ROUNDS = 5;
/** Timed runs per row and round. */
const PER_ROUND = 5;
/** Parameters: the 25M row of `cpu-step`. */
const N = 25_000_000;

/** The bench-only kernels of `floorKernelsWat` (scripts/wasm/kernelsWat.mjs). */
interface FloorKernels {
  read_f32(w: number, g: number, n: number): number;
  read_f64(w: number, g: number, n: number): number;
  update_momentum_f32(w: number, g: number, buf: number, n: number, gs: number, wd: number, mu: number, a: number, step: number): void;
}

/** One row: a name, what it measures, and one timed run. */
interface Row {
  readonly name: string;
  readonly reference?: boolean;
  sample(runs: number): Promise<number[]> | number[];
}

/**
 * Where a 25M-parameter LARS step's time goes on one thread, side by side
 * with the C loop: each pass of the C loop alone (bench/c/larsStep.c in
 * `norms` and `update` modes), the same passes with the shipped WebAssembly
 * kernels called layer by layer as the backend does, and the floors below
 * them: reading both operands with no arithmetic (the least a norm pass
 * can cost), the update in float32 arithmetic as the C loop computes it
 * (a bench-only kernel: the shipped one computes in float64, so that its
 * results equal the JS loops'), and `TypedArray.prototype.set` of the
 * copies a step on ordinary arrays needs (w and g in, w out), with no
 * arithmetic at all. The ratio column divides by the C loop's whole step
 * with both passes of each layer back to back (the `cpu-step` reference).
 */
async function run(): Promise<void> {
  const c = buildCReference(C_FLAGS);
  if ('reason' in c) {
    console.log(`(skipped: no C reference, ${c.reason})`);
    return;
  }
  const floors = await floorKernels();
  const layout = resnet50LikeLayout(N);
  const sizes = layout.map((t) => t.size);
  console.log(`C reference: gcc ${C_FLAGS.join(' ')} bench/c/larsStep.c; ${ROUNDS} interleaved rounds of ${PER_ROUND} runs; node ${process.version}\n`);
  console.log('| what | dtype | median ms | spread (min–max) | GB/s moved | × C step |');
  console.log('|---|---|---|---|---|---|');
  for (const dtype of ['float32', 'float64'] as NumericType[]) {
    const size = bytesPerElement(dtype);
    const f32 = dtype === 'float32';
    const memory = new WebAssembly.Memory({ initial: Math.ceil((3 * N * size) / 65536) + 2, maximum: 65536, shared: true });
    const k: KernelExports = instantiateKernels(kernelModule(true)!, memory);
    const fk = floors === null ? null : (new WebAssembly.Instance(floors, { env: { memory } }).exports as unknown as FloorKernels);
    const w = 65536;
    const g = w + N * size;
    const b = g + N * size;
    const view = (at: number): Float32Array | Float64Array => (f32 ? new Float32Array(memory.buffer, at, N) : new Float64Array(memory.buffer, at, N));
    fillRandom(view(w), 1);
    fillRandom(view(g), 2, 0.01);
    const layers = sizes.map((n, i) => ({ start: sizes.slice(0, i).reduce((a, x) => a + x, 0), n }));
    const perLayer = (fn: (o: number, n: number) => void) => (): void => layers.forEach((l) => fn(l.start * size, l.n));
    const coeffs = [1e-3, 1e-7, 0.9, 1, 0.1] as const;
    const ordinary = { w: f32 ? new Float32Array(N) : new Float64Array(N), g: f32 ? new Float32Array(N) : new Float64Array(N) };
    fillRandom(ordinary.w, 1);
    fillRandom(ordinary.g, 2, 0.01);
    const opt = new LARSOptimizer(null, presets.timm({ lr: 0.1, momentum: 0.9, weight_decay: 1e-4 }), { layout, backend: WasmBackend.create()! });
    const pw = opt.allocateVector(N, dtype);
    const pg = opt.allocateVector(N, dtype);
    fillRandom(pw.data, 1);
    fillRandom(pg.data, 2, 0.01);
    const cRow = (name: string, order: CPassOrder, reference = false): Row => ({ name, reference, sample: (runs) => runCReference(c.path, dtype, sizes, runs, 2, order) });
    const timed = (name: string, fn: () => void): Row => ({ name, sample: (runs) => sampleRuns(fn, runs, 1) });
    const norms = f32 ? k.norms_f32 : k.norms_f64;
    const update = f32 ? k.update_momentum_f32 : k.update_momentum_f64;
    const rows: [Row, number][] = [
      [cRow('C loop, whole step, passes of each layer back to back', 'per-layer', true), 7],
      [cRow('C loop, whole step, norm pass over every layer first', 'two-pass'), 7],
      [cRow('C loop, norm pass alone', 'norms'), 2],
      [cRow('C loop, update pass alone', 'update'), 5],
      [timed('lars-ts step, WASM zero-copy (norm pass + update pass + rule)', () => opt.step(pw, pg)), 7],
      [timed('WASM norm pass (shipped kernel, per layer)', perLayer((o, n) => norms(w + o, g + o, n, 0))), 2],
      [timed('WASM update pass (shipped kernel, float64 arithmetic)', perLayer((o, n) => update(w + o, g + o, b + o, n, ...coeffs))), 5],
    ];
    if (fk !== null) {
      rows.push([timed('floor: WASM read of w and g, no arithmetic', perLayer((o, n) => (f32 ? fk.read_f32 : fk.read_f64)(w + o, g + o, n))), 2]);
      if (f32) rows.push([timed('floor: WASM update in float32 arithmetic (bench-only kernel)', perLayer((o, n) => fk.update_momentum_f32(w + o, g + o, b + o, n, ...coeffs))), 5]);
    }
    const staging = view(b);
    rows.push([
      timed('floor: ordinary arrays, copies only (w, g in; w out)', () => {
        staging.set(ordinary.w);
        staging.set(ordinary.g);
        ordinary.w.set(staging);
      }),
      3,
    ]);
    const samples = rows.map((): number[] => []);
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, [row]] of rows.entries()) samples[i].push(...(await row.sample(PER_ROUND)));
    }
    opt.dispose();
    const summaries = samples.map(summarize);
    const ref = summaries[rows.findIndex(([row]) => row.reference === true)].medianMs;
    for (const [i, [row, streams]] of rows.entries()) {
      const t = summaries[i];
      console.log(`| ${row.name} | ${dtype} | ${t.medianMs.toFixed(2)} | ${t.minMs.toFixed(2)}–${t.maxMs.toFixed(2)} | ${((streams * N * size) / t.medianMs / 1e6).toFixed(1)} | ${(t.medianMs / ref).toFixed(2)} |`);
    }
  }
  console.log('\nGB/s moved counts the elements a pass must read or write: 2 per parameter for a norm pass or a read, 5 for an update, 7 for a step, 3 for the copies.');
}

/** The bench-only kernels, compiled with wabt from scripts/wasm/kernelsWat.mjs; null (rows skipped) when that fails. */
async function floorKernels(): Promise<WebAssembly.Module | null> {
  try {
    const source = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'scripts', 'wasm', 'kernelsWat.mjs');
    const { floorKernelsWat } = (await import(pathToFileURL(source).href)) as { floorKernelsWat(o: { shared: boolean }): string };
    const wabt = await initWabt();
    const features = { simd: true, threads: true };
    const parsed = wabt.parseWat('floors.wat', floorKernelsWat({ shared: true }), features);
    (parsed.validate as (f: typeof features) => void)(features);
    const { buffer } = parsed.toBinary({});
    parsed.destroy();
    return new WebAssembly.Module(buffer as Uint8Array<ArrayBuffer>);
  } catch (error) {
    console.log(`(floor rows skipped: ${(error as Error).message})`);
    return null;
  }
}

/** The `step-floors` suite. */
export const stepFloorsSuite: BenchSuite = { name: 'step-floors', run };
