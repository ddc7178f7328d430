import { expect } from 'chai';
import { LARSOptimizer, presets, Vector, type LARSOptimizerOptions } from '../../src/index.js';
import { createCpuBackend } from '../../src/backends/createCpuBackend.js';
import { CpuBackend } from '../../src/backends/js/CpuBackend.js';
import { type OptimizerBackend } from '../../src/core/OptimizerBackend.js';
import { fillRandom, newGpuBackend, REQUIRE_GPU, requireGpuOrSkip } from './gpuContext.js';
import { backendOf } from '../support/optimizerInternals.js';

const LAYOUT = [
  { name: 'a', size: 1, kind: 'weight' as const },
  { name: 'b', size: 300, kind: 'weight' as const },
  { name: 'c', size: 5000, kind: 'weight' as const },
  { name: 'c.bias', size: 7, kind: 'bias' as const },
];
const N = LAYOUT.reduce((a, t) => a + t.size, 0);

function options(): LARSOptimizerOptions {
  return presets.timm({ lr: 0.1, momentum: 0.9, weight_decay: 1e-4 });
}

function optimizer(backend: OptimizerBackend, warnings: string[]): LARSOptimizer<'float32'> {
  return new LARSOptimizer(null, options(), { backend, layout: LAYOUT, onWarning: (m) => warnings.push(m) }) as LARSOptimizer<'float32'>;
}

function vectors(seed: number): { w: Vector<'float32'>; g: Vector<'float32'> } {
  const w = new Float32Array(N);
  const g = new Float32Array(N);
  fillRandom(w, seed, 1);
  fillRandom(g, seed + 1, 0.01);
  return { w: new Vector(w), g: new Vector(g) };
}

/** The float32 momentum of every layer, decoded from saveState(). */
function momentumLayers(opt: LARSOptimizer): Float32Array[] {
  return opt.saveState().momentum!.map((m) => {
    const bytes = Buffer.from((m as { values: string }).values, 'base64');
    return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  });
}

describe('gpu.js backend on headless-gl', function () {
  before(function () {
    requireGpuOrSkip(this);
  });

  it('really runs on headless-gl: backend name, gpu.js mode, a stack-gl context and kernel launches', () => {
    const warnings: string[] = [];
    const opt = new LARSOptimizer(null, { ...options(), backend: 'gpu' }, { layout: LAYOUT, onWarning: (m) => warnings.push(m) });
    const backend = backendOf<ReturnType<typeof newGpuBackend>>(opt);
    expect(opt.backendName).to.equal('headlessgl');
    expect(backend.mode).to.equal('headlessgl');
    const before = backend.launches;
    const { w, g } = vectors(1);
    opt.step(w, g);
    expect(warnings).to.deep.equal([]);
    expect(opt.backendName).to.equal('headlessgl');
    expect(backend.launches - before).to.be.at.least(5);
    // Only a real headless-gl WebGL context reports this version string.
    expect(backend.glVersion).to.match(/stack-gl/);
    if (REQUIRE_GPU) console.log(`      (REQUIRE_GPU: ran on ${backend.glVersion}, ${backend.launches} kernel launches)`);
    opt.dispose();
  });

  // Golden replay, bad input (NaN, infinity, length mismatch, float32 overflow of squares) and the
  // 8-bit kernel failure run for every backend in test/conformance/.
  it('float64 vectors: warns and computes on the CPU, never downcasting', () => {
    const warnings: string[] = [];
    const gpuOpt = new LARSOptimizer(null, options(), { backend: newGpuBackend(), layout: LAYOUT, onWarning: (m) => warnings.push(m) });
    const cpuOpt = new LARSOptimizer(null, options(), { backend: createCpuBackend(), layout: LAYOUT });
    const { w, g } = vectors(5);
    const w1 = Vector.from(w.data, 'float64');
    const w2 = Vector.from(w.data, 'float64');
    const g64 = Vector.from(g.data, 'float64');
    gpuOpt.step(w1, g64);
    cpuOpt.step(w2, g64);
    expect(warnings).to.have.length(1);
    expect(warnings[0]).to.match(/cannot compute in float64/);
    expect(gpuOpt.backendName).to.equal(cpuOpt.backendName);
    expect(Array.from(w1.data)).to.deep.equal(Array.from(w2.data));
  });

  it('a kernel failing mid-run moves to the CPU with a warning and keeps the momentum', () => {
    const warnings: string[] = [];
    const backend = newGpuBackend();
    const gpuOpt = optimizer(backend, warnings);
    const cpuOpt = optimizer(new CpuBackend(), []);
    const { w } = vectors(6);
    const wCpu = w.clone();
    for (let step = 0; step < 4; step++) {
      if (step === 3) {
        const kernels = (backend as unknown as { resources: { kernels: Record<string, unknown> } }).resources.kernels;
        kernels.updateParams = () => {
          throw new Error('forced GPU failure');
        };
      }
      const g = vectors(10 + step).g;
      gpuOpt.step(w, g);
      cpuOpt.step(wCpu, g);
    }
    expect(warnings).to.have.length(1);
    expect(warnings[0]).to.match(/headlessgl failed \(forced GPU failure\); continuing on the CPU/);
    expect(gpuOpt.backendName).to.equal(createCpuBackend().name);
    // Three float32 GPU steps, then CPU steps from the GPU's momentum: float32 agreement (see gpuParity.test.ts).
    for (let i = 0; i < N; i++) expect(w.data[i]).to.be.closeTo(wCpu.data[i], 1e-6 * Math.max(1, Math.abs(wCpu.data[i])));
    const bufG = momentumLayers(gpuOpt);
    const bufC = momentumLayers(cpuOpt);
    expect(bufG.length).to.equal(bufC.length);
    bufG.forEach((a, l) => {
      const b = bufC[l];
      expect(a.length).to.equal(b.length);
      let diff = 0;
      let norm = 0;
      for (let i = 0; i < a.length; i++) {
        diff += (a[i] - b[i]) ** 2;
        norm += b[i] ** 2;
      }
      expect(norm).to.be.greaterThan(0);
      expect(Math.sqrt(diff)).to.be.at.most(1e-5 * Math.sqrt(norm));
    });
  });
});
