import { GPU } from 'gpu.js';
import { Vector } from '../../numeric/Vector.js';
import { allocateCoefficients } from '../../core/LayerCoefficients.js';
import { buildLayerPlan, PLAIN_PLAN } from '../../core/LayerPlan.js';
import { CpuBackend } from '../js/CpuBackend.js';
import { GpuJsBackend, type GpuJsMode } from './GpuJsBackend.js';
import { detectSoftwareRenderer } from './detectSoftwareRenderer.js';
import { explainHeadlessGl, headlessGlFacts } from './explainHeadlessGl.js';
import type { OptimizerBackend } from '../../core/OptimizerBackend.js';

/**
 * A GPU backend that passed its self-check.
 *
 * @category Backends
 */
export interface GpuFound {
  /** The ready backend. */
  readonly backend: OptimizerBackend;
}

/**
 * Why no GPU backend can run here.
 *
 * @category Backends
 */
export interface GpuMissing {
  /** A plain-language reason, shown in errors and warnings. */
  readonly reason: string;
}

/**
 * A GPU backend that is ready to use, or the reason there is none.
 *
 * @category Backends
 */
export type GpuProbe = GpuFound | GpuMissing;

/**
 * Options of {@link probeGpuBackend}.
 *
 * @category Backends
 */
export interface GpuProbeOptions {
  /**
   * Accept a software rasterizer (Mesa llvmpipe, SwiftShader). Default false:
   * software GPU kernels are slower than the CPU backend, so `backend: 'auto'`
   * passes false and only an explicit `backend: 'gpu'` passes true.
   */
  readonly allowSoftware?: boolean;
  /** Time each phase exactly (see {@link GpuJsBackendOptions.profile}). Default false. */
  readonly profile?: boolean;
}

/**
 * Looks for a GPU backend that can run here and passes its self-check: a tiny
 * plan (layers of 1, 3, 300 and 1000 elements) through the norm and update
 * kernels, compared with the CPU backend to 1e-5. Tries headless-gl in Node,
 * WebGL2 then WebGL in a browser. WebGPU is reported, not used: its adapter
 * can only be asked for asynchronously (and on machines without a GPU Dawn has
 * none), while this probe is synchronous.
 *
 * Never throws: a missing or broken GPU is a reason, not a crash.
 *
 * @category Backends
 */
export function probeGpuBackend(options: GpuProbeOptions = {}): GpuProbe {
  const reasons: string[] = [webGpuNote()];
  const modes: GpuJsMode[] = typeof window === 'undefined' ? ['headlessgl'] : ['webgl2', 'webgl'];
  for (const mode of modes) {
    const supported = safely(() => (mode === 'headlessgl' ? GPU.isHeadlessGLSupported : mode === 'webgl2' ? GPU.isWebGL2Supported : GPU.isWebGLSupported));
    if (supported !== true) {
      const facts = mode === 'headlessgl' ? safely(headlessGlFacts) : null;
      const why = facts !== null && !(facts instanceof Error) ? explainHeadlessGl(facts) : supported instanceof Error ? supported.message : null;
      reasons.push(`${mode}: not available${why === null ? '' : ` (${why})`}`);
      continue;
    }
    let backend: GpuJsBackend | null = null;
    try {
      const software = "software renderer (e.g. Mesa llvmpipe), slower than the CPU backend; ask for backend 'gpu' to use it anyway";
      // Decline early when the machine alone tells (no compile), and again once a context can name its renderer.
      if (!options.allowSoftware && mode === 'headlessgl' && detectSoftwareRenderer(null) === true) throw new Error(software);
      backend = new GpuJsBackend({ mode, profile: options.profile });
      const failure = selfCheck(backend);
      if (failure !== null) throw new Error(`self-check failed: ${failure}`);
      if (!options.allowSoftware && detectSoftwareRenderer(backend.context) === true) throw new Error(software);
      return { backend };
    } catch (error) {
      safely(() => backend?.dispose());
      reasons.push(`${mode}: ${(error as Error).message}`);
    }
  }
  return { reason: reasons.join('; ') };
}

function webGpuNote(): string {
  const gpu = (globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu;
  return gpu === undefined
    ? 'webgpu: no navigator.gpu'
    : 'webgpu: not probed (its adapter request is asynchronous; the WebGL kernels are used instead)';
}

/** Runs the GPU kernels on a tiny plan and compares with the CPU; the mismatch, or null when they agree. */
function selfCheck(gpu: GpuJsBackend): string | null {
  const sizes = [1, 3, 300, 1000];
  const n = sizes.reduce((a, b) => a + b, 0);
  const plan = buildLayerPlan(
    n,
    PLAIN_PLAN,
    sizes.map((size, i) => ({ name: `check${i}`, size, kind: 'weight' as const })),
  );
  const w = new Float32Array(n);
  const g = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    w[i] = Math.sin(0.7 * i) + 0.5;
    g[i] = 0.1 * Math.cos(0.3 * i);
  }
  const c = allocateCoefficients(sizes.length);
  c.gradScale.fill(1);
  c.decay.fill(0.01);
  c.bufferMomentum.fill(0.9);
  c.bufferGain.fill(1);
  c.fromBuffer.fill(1);
  c.fromDirection.fill(0.5);
  c.stepScale.fill(0.1);
  const cpu = new CpuBackend();
  const wGpu = new Vector(w.slice());
  const wCpu = new Vector(w.slice());
  const grads = new Vector(g);
  const state = gpu.createState(plan, 'float32');
  const cpuState = cpu.createState(plan, 'float32');
  try {
    for (let step = 0; step < 2; step++) {
      const a = gpu.layerNorms(plan, wGpu, grads);
      const b = cpu.layerNorms(plan, wCpu, grads);
      for (let i = 0; i < a.length; i++) if (!close(a[i], b[i])) return `norm ${i} is ${a[i]}, expected ${b[i]}`;
      gpu.applyUpdate(plan, c, wGpu, grads, state);
      cpu.applyUpdate(plan, c, wCpu, grads, cpuState);
      for (let i = 0; i < n; i++) if (!close(wGpu.data[i], wCpu.data[i])) return `parameter ${i} is ${wGpu.data[i]}, expected ${wCpu.data[i]}`;
    }
    return null;
  } finally {
    state.dispose();
  }
}

function close(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-5 * Math.max(1, Math.abs(b));
}

function safely<R>(fn: () => R): R | Error {
  try {
    return fn();
  } catch (error) {
    return error as Error;
  }
}
