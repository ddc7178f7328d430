import { GpuJsBackend } from '../../src/backends/gpujs/GpuJsBackend.js';
import { probeGpuBackend } from '../../src/backends/gpujs/probeGpuBackend.js';

/** Whether CI demands that the GPU tests really ran (REQUIRE_GPU=1). */
export const REQUIRE_GPU = process.env.REQUIRE_GPU === '1';

let cached: { available: true } | { available: false; reason: string } | null = null;

/**
 * Whether a gpu.js GPU context (software rasterizers included) runs here,
 * decided once per test run by the library's own probe.
 */
export function gpuAvailability(): { available: true } | { available: false; reason: string } {
  if (cached === null) {
    const probe = probeGpuBackend({ allowSoftware: true });
    if ('backend' in probe) {
      probe.backend.dispose();
      cached = { available: true };
    } else {
      cached = { available: false, reason: probe.reason };
    }
  }
  return cached;
}

/**
 * For a `describe` block's `before` hook: skips the block with a message when
 * no GPU context exists, unless REQUIRE_GPU=1, where it fails instead, so a
 * silent fallback cannot pass as a GPU run.
 */
export function requireGpuOrSkip(context: Mocha.Context): void {
  const a = gpuAvailability();
  if (a.available) return;
  if (REQUIRE_GPU) throw new Error(`REQUIRE_GPU=1 but no GPU backend can run: ${a.reason}`);
  console.log(`    (skipping GPU tests: ${a.reason})`);
  context.skip();
}

/** A fresh headless-gl backend (each owns its context; dispose it). */
export function newGpuBackend(): GpuJsBackend {
  return new GpuJsBackend({ mode: 'headlessgl' });
}

export { fillRandom } from '../support/random.js';
