import { expect } from 'chai';
import { type NumericType } from '../../src/index.js';
import { createCpuBackend } from '../../src/backends/createCpuBackend.js';
import { CpuBackend } from '../../src/backends/js/CpuBackend.js';
import { QuantizedHostState } from '../../src/backends/js/QuantizedHostState.js';
import { WasmBackend } from '../../src/backends/wasm/WasmBackend.js';
import { WasmQuantizedState } from '../../src/backends/wasm/WasmQuantizedState.js';
import { GpuJsBackend } from '../../src/backends/gpujs/GpuJsBackend.js';
import { GpuQuantizedState } from '../../src/backends/gpujs/GpuQuantizedState.js';
import { type LayerPlan } from '../../src/core/LayerPlan.js';
import { type BackendState, type OptimizerBackend } from '../../src/core/OptimizerBackend.js';
import { newGpuBackend, requireGpuOrSkip } from '../gpu/gpuContext.js';
import { CpuBackendWithNormsOf, CpuBackendWithWasmNorms } from '../support/wasmNormsCpu.js';

/**
 * How closely a backend must follow the JS loops (the reference), per kind of
 * comparison. `exact`: the same operations in the same order, so the same
 * bits (given the same per-layer norms, see {@link ConformanceBackend.reference}).
 * `float32`: a float32 device against the reference's float64 accumulation;
 * each number is the bound the GPU tests have always stated (u = 2⁻²⁴):
 */
export type Tolerance =
  | {
      readonly kind: 'exact';
      /**
       * Float32 parameters per step, absolute, against the JS loops. 0 for the
       * WebAssembly rows: their float32 updates compute in float64 and round
       * once on store, as the JS loops do, so they agree bit for bit.
       */
      readonly float32StepAbs: number;
      /**
       * Per-layer sums (‖w‖², ‖g‖², Σu²) of n terms, relative: within
       * `sumUlps`·n·2⁻⁵³ of the JS loops' (the same terms added in another
       * order; pieces cut at chunk boundaries on threads add their own reordering).
       */
      readonly sumUlps: number;
    }
  | {
      readonly kind: 'float32';
      /** 8-bit absmax, relative: max|b| over a block after a few float32 roundings of b (≈ 17u). */
      readonly absmaxRel: number;
      /** 8-bit codes: at most this share of 8-bit elements one code off (cumulative per step), none further. */
      readonly offByOneRate: number;
      /** Parameters of a layer, relative L2: float32 rounding of the update plus, after a code differs, a one-code step in the momentum. */
      readonly paramRelL2: number;
      /** 32-bit momentum of a layer, relative L2: the update's roundings, amplified where μ·buf and a·d cancel. */
      readonly momentumRelL2: number;
      /** One parameter after a few steps, relative to max(1, |x|): float32 agreement of whole steps. */
      readonly elementRel: number;
      /**
       * Backend-level updates from the same coefficients, per layer relative
       * L2: about eight float32 roundings per element on an update ≤ ~10% of
       * ‖w‖ (≈ 1.4e-7); the tests allow 1e-6.
       */
      readonly kernelParamRelL2: number;
    };

/** One backend of the conformance table: how to make it, what it computes in, how close it stays to the JS loops. */
export interface ConformanceBackend {
  /** Title of the backend's `describe` blocks. */
  readonly label: string;
  /** `backendName` an optimizer reports while it computes on this backend. */
  readonly name: string;
  /** Whether this is the reference row (the JS loops): comparisons against the reference are skipped for it. */
  readonly isReference: boolean;
  /** The numeric types it computes in (others move to the CPU with a warning). */
  readonly dtypes: readonly NumericType[];
  /**
   * Vector placements to try: ordinary vectors (false), and vectors from the
   * backend's allocateVector where that places them in its memory (true). The
   * threaded backend tries zero-copy only: ordinary vectors stay on the calling
   * thread, the WebAssembly row's code.
   */
  readonly zeroCopy: readonly boolean[];
  /** Golden replay: numeric type and the bound it meets. */
  readonly golden: { readonly dtype: 'float32' | 'float64'; readonly maxAbs?: number; readonly maxRel?: number };
  readonly tolerance: Tolerance;
  /**
   * The longest case (in steps, all phases) of a scenario's case list that
   * runs on it; longer cases skip it (single-case scenarios, like tracking, run everywhere).
   * A software-rendered GPU step, with its readbacks and a kernel compile
   * per optimizer, costs about a hundred WebAssembly steps, so the GPU runs the
   * short cases (the ones its own tests always ran) and the suite does not grow.
   */
  readonly maxSteps: number;
  /** Work ({@link ConformanceBackend.work}) each optimizer step must at least show. */
  readonly minWorkPerStep: number;
  /** Work a backend-level step (update norms, norms, update) must at least show. */
  readonly minWorkPerKernelStep: number;
  /**
   * Whether its 8-bit state has code of its own (the 8-bit scenarios skip
   * a row without). True for the threaded backend too: its pool runs 8-bit
   * layers on the workers, in chunks cut on the layers' 256-element blocks.
   */
  readonly ownEightBit: boolean;
  /** The class of its 8-bit state. */
  readonly quantizedState: abstract new (...args: never[]) => BackendState;
  /** For a `describe` block's `before` hook: skips (or under REQUIRE_GPU=1 fails) where the backend cannot run. */
  readonly skipUnlessAvailable?: (context: Mocha.Context) => void;
  /** A fresh backend, ready to compute (worker threads started). */
  create(): Promise<OptimizerBackend>;
  /**
   * The reference backend to compare a run of this backend with: the JS loops,
   * for an `exact` backend with the per-layer norms of a backend like this one
   * (sums in another order only change the trust ratios' last bits).
   */
  reference(zeroCopy: boolean): Promise<OptimizerBackend>;
  /**
   * Checks that steps really ran on this backend's own code since `since`
   * (from {@link ConformanceBackend.work}): GPU kernel launches; passes the
   * workers entered, for zero-copy vectors (32-bit and 8-bit state alike;
   * ordinary vectors stay on the calling thread).
   */
  expectWorked(backend: OptimizerBackend, since: number, zeroCopy: boolean, plan: LayerPlan): void;
  /** Checks what dispose() must have released (worker threads). */
  expectDisposed(backend: OptimizerBackend): void;
  /** A counter of the work done on the device or workers so far (0 where there is nothing to count). */
  work(backend: OptimizerBackend): number;
  /** Makes the backend's next update throw `forced failure` (for 8-bit or 32-bit state), or null where it has nothing to fall back from. */
  readonly breakUpdate: ((backend: OptimizerBackend, bits: 8 | 32) => void) | null;
  /** The CPU backend an optimizer falls to when this one fails (a fresh one), or null for the last stop. */
  readonly fallsTo: (() => OptimizerBackend) | null;
}

const asWasm = (b: OptimizerBackend) => b as WasmBackend;
const asGpu = (b: OptimizerBackend) => b as GpuJsBackend;

/** A threaded WASM backend as the thread tests use it: a pass for every plan size, 16-element chunks, the worker entering every pass. */
async function threaded(): Promise<WasmBackend> {
  const b = WasmBackend.createThreaded({ threads: 2, minElements: 0, chunkElements: 16, awaitWorkers: true })!;
  expect(b.threads, 'a worker pool (Node has worker_threads)').to.not.equal(null);
  expect(await b.threads!.ready()).to.equal(true);
  return b;
}

const failing = () => {
  throw new Error('forced failure');
};

/** The backends every conformance scenario runs over; the JS loops first, as the reference. */
export const BACKENDS: readonly ConformanceBackend[] = [
  {
    label: 'JS loops (reference)',
    name: 'cpu',
    isReference: true,
    dtypes: ['float32', 'float64'],
    zeroCopy: [false],
    golden: { dtype: 'float64', maxAbs: 1e-12 },
    tolerance: { kind: 'exact', float32StepAbs: 0, sumUlps: 1 },
    maxSteps: Infinity,
    minWorkPerStep: 0,
    minWorkPerKernelStep: 0,
    ownEightBit: true,
    quantizedState: QuantizedHostState,
    create: async () => new CpuBackend(),
    reference: async () => new CpuBackend(),
    expectWorked: () => {},
    expectDisposed: () => {},
    work: () => 0,
    breakUpdate: null,
    fallsTo: null,
  },
  {
    label: 'WebAssembly SIMD',
    name: 'wasm-simd',
    isReference: false,
    dtypes: ['float32', 'float64'],
    zeroCopy: [true, false],
    golden: { dtype: 'float64', maxAbs: 1e-12 },
    tolerance: { kind: 'exact', float32StepAbs: 0, sumUlps: 1 },
    maxSteps: Infinity,
    minWorkPerStep: 0,
    minWorkPerKernelStep: 0,
    ownEightBit: true,
    quantizedState: WasmQuantizedState,
    create: async () => {
      const b = WasmBackend.create();
      expect(b, 'WebAssembly SIMD runs here').to.not.equal(null);
      return b!;
    },
    reference: async () => new CpuBackendWithWasmNorms(),
    expectWorked: () => {},
    expectDisposed: () => {},
    work: () => 0,
    breakUpdate: (b) => {
      asWasm(b).applyUpdate = failing;
    },
    fallsTo: () => new CpuBackend(),
  },
  {
    label: 'WebAssembly SIMD on worker threads',
    name: 'wasm-simd',
    isReference: false,
    dtypes: ['float32', 'float64'],
    zeroCopy: [true],
    golden: { dtype: 'float64', maxAbs: 1e-12 },
    tolerance: { kind: 'exact', float32StepAbs: 0, sumUlps: 3 },
    maxSteps: Infinity,
    minWorkPerStep: 0,
    minWorkPerKernelStep: 0,
    ownEightBit: true,
    quantizedState: WasmQuantizedState,
    create: threaded,
    // The same chunking, so norms and Σu² are summed piece by piece in the same order (norms of ordinary
    // vectors on the calling thread, as layerNorms stages them; Σu² of staged copies on the threads).
    reference: async (zeroCopy) => new CpuBackendWithNormsOf(await threaded(), zeroCopy, true),
    expectWorked: (b, since, zeroCopy, plan) => {
      if (zeroCopy) expect(asWasm(b).threads!.workerJobs(), 'passes the worker entered').to.be.greaterThan(since);
    },
    expectDisposed: (b) => expect(asWasm(b).threads!.workers, 'workers left after dispose').to.equal(0),
    work: (b) => asWasm(b).threads?.workerJobs() ?? 0,
    breakUpdate: (b) => {
      asWasm(b).applyUpdate = failing;
    },
    fallsTo: () => new CpuBackend(),
  },
  {
    label: 'gpu.js on headless-gl',
    name: 'headlessgl',
    isReference: false,
    dtypes: ['float32'],
    zeroCopy: [false],
    golden: { dtype: 'float32', maxRel: 1e-5 },
    tolerance: { kind: 'float32', absmaxRel: 1e-6, offByOneRate: 1 / 2000, paramRelL2: 1e-5, momentumRelL2: 1e-5, elementRel: 1e-6, kernelParamRelL2: 1e-6 },
    maxSteps: 8,
    minWorkPerStep: 5,
    minWorkPerKernelStep: 7,
    ownEightBit: true,
    quantizedState: GpuQuantizedState,
    skipUnlessAvailable: requireGpuOrSkip,
    create: async () => newGpuBackend(),
    reference: async () => new CpuBackend(),
    expectWorked: (b, since) => expect(asGpu(b).launches, 'kernel launches').to.be.greaterThan(since),
    expectDisposed: () => {},
    work: (b) => asGpu(b).launches,
    breakUpdate: (b, bits) => {
      const r = (b as unknown as { resources: { kernels: Record<string, unknown>; quantized: { kernels: Record<string, unknown> } | null } }).resources;
      if (bits === 8) r.quantized!.kernels.params = failing;
      else r.kernels.updateParams = failing;
    },
    // The fastest CPU backend (WebAssembly where it runs); it holds 8-bit state too.
    fallsTo: () => createCpuBackend(),
  },
];

/** The WebAssembly memory of a backend that places vectors (see {@link ConformanceBackend.zeroCopy}). */
export function heapOf(backend: OptimizerBackend): { addressOf(data: ArrayBufferView): number | null } {
  return asWasm(backend).heap;
}

/**
 * Registers `body` once per backend, in a `describe` titled `title` with the
 * backend's label, skipping the block where the backend cannot run here; for
 * an `eightBit` scenario, only over backends with 8-bit code of their own.
 */
export function forEachBackend(title: string, body: (b: ConformanceBackend) => void, eightBit = false): void {
  for (const b of BACKENDS) {
    if (eightBit && !b.ownEightBit) continue;
    describe(`${title} [${b.label}]`, function () {
      if (b.skipUnlessAvailable !== undefined) {
        const skip = b.skipUnlessAvailable;
        before(function () {
          skip(this);
        });
      }
      body(b);
    });
  }
}
