import { Vector } from '../src/index.js';
import { GpuJsBackend } from '../src/backends/gpujs/GpuJsBackend.js';
import { probeGpuBackend } from '../src/backends/gpujs/probeGpuBackend.js';
import { CpuBackend } from '../src/backends/js/CpuBackend.js';
import { plainMomentumCoefficients } from '../src/core/LayerCoefficients.js';
import { buildLayerPlan } from '../src/core/LayerPlan.js';
import { type OptimizerBackend } from '../src/core/OptimizerBackend.js';
import { fillRandom, timeRuns } from './harness.js';
import { resnet50LikeLayout } from './resnet50Layout.js';
import type { BenchSuite } from './suites.js';

/**
 * One optimizer step's backend work (layer norms, then the fused momentum
 * update) for float32 parameters in ResNet-50-like layer sizes, on the GPU
 * backend and the CPU backend, with 32-bit and with 8-bit momentum state
 * (layers ≥ 4096 elements quantized), split into transfer (host↔device) and
 * compute, and the state's bytes per parameter.
 * The GPU backend runs with `profile: true`, which waits for the device at
 * every phase boundary so the split is truthful. Median of 5 runs after 2
 * warm-up runs. Set LARS_BENCH_SIZES (e.g. `1e6`) to change the sizes.
 */
export const gpuStepSuite: BenchSuite = {
  name: 'gpuStep',
  async run() {
    const sizes = (process.env.LARS_BENCH_SIZES ?? '1e6,25e6').split(',').map((s) => Math.round(Number(s)));
    const probe = probeGpuBackend({ allowSoftware: true, profile: true });
    if ('reason' in probe) console.log(`(GPU backend unavailable, CPU only: ${probe.reason})`);
    else probe.backend.dispose();
    console.log('| backend | state | parameters | step median ms (min–max) | upload ms | compute ms | download ms | state bytes/param |');
    console.log('|---|---|---|---|---|---|---|---|');
    for (const total of sizes) for (const bits of [32, 8] as const) {
      const layout = resnet50LikeLayout(total);
      const plan = buildLayerPlan(
        total,
        { layerBoundaries: null, skipLARSLayers: null, excludeBiasFromLARS: false, optimBits: bits, min8bitSize: 4096 },
        layout,
      );
      const w = new Float32Array(total);
      const g = new Float32Array(total);
      fillRandom(w, 1, 0.1);
      fillRandom(g, 2, 0.01);
      const c = plainMomentumCoefficients(plan.segments.length, 1e-4, 0.9, 1e-4);
      const backends: OptimizerBackend[] = [new CpuBackend()];
      if (!('reason' in probe)) backends.push(new GpuJsBackend({ mode: 'headlessgl', profile: true }));
      for (const backend of backends) {
        const params = new Vector(w.slice());
        const grads = new Vector(g);
        const state = backend.createState(plan, 'float32');
        const step = () => {
          backend.layerNorms(plan, params, grads);
          backend.applyUpdate(plan, c, params, grads, state);
        };
        const gpu = backend instanceof GpuJsBackend ? backend : null;
        const runs = 5;
        const t = await timeRuns(step, 1, 2); // warm-up (kernel compilation) and a first timed run, discarded
        void t;
        gpu?.resetTimings();
        const summary = await timeRuns(step, runs, 0);
        const per = (ms: number) => (ms / runs).toFixed(1);
        const split = gpu
          ? [per(gpu.timings.uploadMs), per(gpu.timings.computeMs), per(gpu.timings.downloadMs)]
          : ['0 (host memory)', summary.medianMs.toFixed(1), '0 (host memory)'];
        console.log(
          `| ${backend.name} | ${bits}-bit | ${(total / 1e6).toFixed(0)}M | ${summary.medianMs.toFixed(1)} (${summary.minMs.toFixed(1)}–${summary.maxMs.toFixed(1)}) | ${split.join(' | ')} | ${(state.bytes / total).toFixed(3)} |`,
        );
        state.dispose();
        backend.dispose();
      }
    }
    console.log('\nGPU upload/compute/download are means over the timed runs (profile mode adds a wait per phase).');
  },
};
