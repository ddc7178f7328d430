import { LARS32bit, LARS8bit, Vector, type LARSOptimizer } from '../src/index.js';
import { fillRandom, timeRuns } from './harness.js';
import { resnet50LikeLayout } from './resnet50Layout.js';
import type { BenchSuite } from './suites.js';

/** Parameters in the benchmark's vector: ResNet-50 size. */
const PARAMETERS = 25_000_000;

/**
 * State size and step time of 8-bit against 32-bit momentum on the CPU
 * backend, float32, ResNet-50's layer mix at 25M parameters.
 */
export const eightBitSuite: BenchSuite = {
  name: 'eightBit',
  async run(): Promise<void> {
    const layout = resnet50LikeLayout(PARAMETERS);
    const w0 = new Float32Array(PARAMETERS);
    const g = new Float32Array(PARAMETERS);
    fillRandom(w0, 1, 0.05);
    fillRandom(g, 2, 0.001);
    const grad = new Vector(g);
    const kwargs = { lr: 0.1, momentum: 0.9, weight_decay: 1e-4 };
    const rows: string[] = ['| state | state MiB | bytes/param | median step ms | min ms | max ms |', '|---|---:|---:|---:|---:|---:|'];
    const cases: [string, () => LARSOptimizer][] = [
      ['32-bit', () => new LARS32bit(layout, kwargs, { backend: 'cpu' })],
      ['8-bit', () => new LARS8bit(layout, kwargs, { backend: 'cpu' })],
    ];
    for (const [label, make] of cases) {
      const opt = make();
      const w = new Vector(Float32Array.from(w0));
      const t = await timeRuns(() => opt.step(w, grad), 5, 2);
      const bytes = opt.stateBytes();
      rows.push(
        `| ${label} | ${(bytes / 2 ** 20).toFixed(1)} | ${(bytes / PARAMETERS).toFixed(3)} | ${t.medianMs.toFixed(0)} | ${t.minMs.toFixed(0)} | ${t.maxMs.toFixed(0)} |`,
      );
      opt.dispose();
    }
    console.log(`${PARAMETERS.toLocaleString('en')} float32 parameters, ${layout.length} tensors (ResNet-50 mix), CPU backend, max_unorm 0.02\n`);
    console.log(rows.join('\n'));
  },
};
