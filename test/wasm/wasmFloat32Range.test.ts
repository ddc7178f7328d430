import { expect } from 'chai';
import { LARSOptimizer, Vector } from '../../src/index.js';
import { CpuBackend } from '../../src/backends/js/CpuBackend.js';
import { WasmBackend } from '../../src/backends/wasm/WasmBackend.js';
import { type OptimizerBackend } from '../../src/core/OptimizerBackend.js';

// Issue 11, item 6: near the float32 maximum the WebAssembly float32 update
// must not overflow where the JS loops (float64 arithmetic, one rounding on
// store) do not. The kernels now compute float32 data in float64, so the
// two backends agree bit for bit, here and everywhere.

const MAX = 3.4028e38;
const TORCH_RULE = { useTrustRatio: true, adaptWhen: 'whenWeightDecayNonZero', zeroNormFallback: 'unitRatio', trustClip: false, momentumConvention: 'torch' } as const;

/** Stepped by hand at a constant rate: no warmup or schedule, which would need steps per epoch. */
const CONSTANT_RATE = { warmupEpochs: 0, learningRateSchedule: 'constant' } as const;

/** Two steps of LARS on 8 float32 parameters of value `w` with gradient `g`; the parameters after. */
function twoSteps(backend: OptimizerBackend, w: number, g: number, options: Record<string, unknown>): number[] {
  const optimizer = new LARSOptimizer(null, { excludeBiasFromLARS: false, ...CONSTANT_RATE, ...options }, { backend });
  const p = Vector.of(new Float32Array(8).fill(w));
  const grad = Vector.of(new Float32Array(8).fill(g));
  optimizer.step(p, grad);
  optimizer.step(p, grad);
  optimizer.dispose();
  return Array.from(p.data);
}

describe('WebAssembly float32 update near the float32 maximum (no overflow the JS loops do not have)', () => {
  const cases: [string, number, number, Record<string, unknown>][] = [
    ['wd·w past the float32 maximum (wd = 2)', MAX, 0.1, { weightDecay: 2, momentum: 0.9 }],
    ['the same without momentum', MAX, 0.1, { weightDecay: 2, momentum: 0 }],
    ['g + wd·w past the maximum (g = 3e38, wd = 0.5)', MAX, 3e38, { weightDecay: 0.5, momentum: 0.9 }],
    ['torch momentum, huge gradient, no decay', MAX, 3e38, { weightDecay: 0, momentum: 0.9, rule: TORCH_RULE }],
    ['negative side', -MAX, -3e38, { weightDecay: 0.5, momentum: 0.9, useNesterov: true }],
  ];
  for (const [name, w, g, options] of cases) {
    it(`${name}: finite and equal to the JS loops`, () => {
      const wasm = WasmBackend.create();
      expect(wasm, 'WebAssembly SIMD').to.not.equal(null);
      const viaWasm = twoSteps(wasm!, w, g, options);
      const viaJs = twoSteps(new CpuBackend(), w, g, options);
      expect(viaJs.every(Number.isFinite), `JS loops: ${viaJs[0]}`).to.equal(true);
      expect(viaWasm).to.deep.equal(viaJs);
    });
  }
});
