// Packs lars-ts as `npm pack` does, installs the tarball into a new temporary
// project (CPU-only: --omit=optional), and there
//   1. imports it from plain ESM, constructs an optimizer and steps it;
//   2. type-checks a strict TypeScript file that uses both entry points.
// Exits non-zero with the failing step's output. Used by test/package/package.test.ts.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const work = mkdtempSync(join(tmpdir(), 'lars-ts-package-'));
const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

try {
  // `npm pack` runs `prepare`, which builds dist/ (kernels, JS, .d.ts).
  run('npm', ['pack', '--pack-destination', work, '--silent'], root);
  const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
  if (tarball === undefined) throw new Error('npm pack wrote no tarball');
  const listing = run('tar', ['-tzf', join(work, tarball)], work);
  for (const needed of ['package/dist/index.js', 'package/dist/index.d.ts', 'package/dist/backends/index.js', 'package/dist/backends/wasm/generated/kernelsWasm.js', 'package/dist/backends/wasm/wasmWorker.js', 'package/dist/models/wasm/denseWorker.js', 'package/dist/browser/lars-ts.js', 'package/dist/browser/backends.js']) {
    if (!listing.split('\n').includes(needed)) throw new Error(`the tarball lacks ${needed}`);
  }

  const app = join(work, 'app');
  run('mkdir', ['-p', app], work);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', type: 'module', private: true }));
  run('npm', ['install', '--omit=optional', '--no-audit', '--no-fund', '--prefer-offline', join(work, tarball)], app);

  writeFileSync(
    join(app, 'main.mjs'),
    `import { LARSOptimizer, Vector } from 'lars-ts';
import { CpuBackend } from 'lars-ts/backends';
const layout = [{ name: 'w', size: 6, kind: 'weight' }, { name: 'b', size: 2, kind: 'bias' }];
const opt = new LARSOptimizer(null, { backend: 'cpu', warmupEpochs: 0 }, { layout });
const p = Vector.of(new Float32Array(8).fill(1));
const g = Vector.of(new Float32Array(8).fill(0.5));
opt.step(p, g);
const js = new LARSOptimizer(null, { warmupEpochs: 0 }, { layout, backend: new CpuBackend() });
const q = Vector.of(new Float32Array(8).fill(1));
js.step(q, g);
if (!(p.data[0] < 1) || p.data[0] !== q.data[0]) throw new Error('step did not move the weights as the JS loops do: ' + p.data[0] + ' vs ' + q.data[0]);
// the perceptron's products on 2 threads (the dense worker script found in dist/) equal 1 thread bit for bit
import { Matrix, MultilayerPerceptron, oneHot } from 'lars-ts';
const x = Matrix.zeros(300, 200, 'float32');
for (let i = 0; i < x.data.length; i++) x.data[i] = ((i * 7919) % 13) / 13 - 0.4;
const y = oneHot(Array.from({ length: 300 }, (_, i) => i % 3), 3, 'float32');
const warnings = [];
const one = new MultilayerPerceptron({ layerSizes: [200, 600, 3], dtype: 'float32' });
const two = new MultilayerPerceptron({ layerSizes: [200, 600, 3], dtype: 'float32', threads: 2, onWarning: (m) => warnings.push(m) });
two.computeGradients(x, y);
await new Promise((r) => setTimeout(r, 1000)); // a worker whose script is missing has exited by now
const a = one.computeGradients(x, y).gradient.data, b = two.computeGradients(x, y).gradient.data;
if (two.workerThreads !== 1 || warnings.length > 0) throw new Error('no dense worker thread: ' + warnings.join('; '));
if (a.some((v, i) => !Object.is(v, b[i]))) throw new Error('threaded gradient differs from one thread');
two.dispose();
console.log(JSON.stringify({ backend: opt.backendName, w0: p.data[0], iterations: opt.iterations, denseWorkers: 1 }));
`,
  );
  const out = run('node', ['main.mjs'], app);

  writeFileSync(
    join(app, 'strict.ts'),
    `import { LARSOptimizer, LARSOptimizerOptions, Vector, presets, type ParameterLayout, type SavedOptimizerState } from 'lars-ts';
import { selectBackend, type OptimizerBackend } from 'lars-ts/backends';
const layout: ParameterLayout = [{ name: 'w', size: 6, kind: 'weight' }, { name: 'b', size: 2, kind: 'bias' }];
const opt = new LARSOptimizer(null, new LARSOptimizerOptions({ initialLearningRate: 0.5 }), { layout });
const p: Vector<'float32'> = Vector.of(new Float32Array(8));
const next: Vector<'float32'> = opt.updateParameters(p, p);
const timm = new LARSOptimizer(null, presets.timm({ lr: 0.1, weight_decay: 1e-4 }), { layout });
const saved: SavedOptimizerState = timm.saveState();
const backend: OptimizerBackend = selectBackend('cpu');
export const used = [next, saved, backend.name];
`,
  );
  writeFileSync(
    join(app, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: false, types: [] },
      files: ['strict.ts'],
    }),
  );
  run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(app, 'tsconfig.json')], app);
  console.log(`check-package: ${tarball} installs, runs from ESM (${out.trim()}) and type-checks under strict TypeScript`);
} catch (error) {
  const e = /** @type {{ stdout?: string, stderr?: string, message: string }} */ (error);
  console.error(`check-package failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  process.exitCode = 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
