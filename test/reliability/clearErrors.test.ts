import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { LARSOptimizer, OptimizerInputError, Vector, type SavedOptimizerState } from '../../src/index.js';
import { CpuBackend } from '../../src/backends/js/CpuBackend.js';
import { explainHeadlessGl } from '../../src/backends/gpujs/explainHeadlessGl.js';

// Issue 11, "clear errors": each message names what is wrong and the fix.

const LAYOUT = [
  { name: 'w', size: 6, kind: 'weight' as const },
  { name: 'b', size: 2, kind: 'bias' as const },
];

function savedAfterOneStep(n: number): SavedOptimizerState {
  const o = new LARSOptimizer<'float64'>(null, { backend: 'cpu', warmupEpochs: 0, learningRateSchedule: 'constant' });
  o.step(Vector.from(Array.from({ length: n }, (_, i) => i + 1), 'float64'), Vector.from(new Array<number>(n).fill(0.1), 'float64'));
  return o.saveState();
}

describe('reliability: clear errors (issue 11)', function () {
  this.timeout(30_000);

  it("backend 'gpu' without a display says so and suggests xvfb-run -a", () => {
    const index = fileURLToPath(new URL('../../src/backends/index.js', import.meta.url));
    const env = { ...process.env };
    delete env.DISPLAY;
    const script = `import(${JSON.stringify(index)}).then((m) => { try { m.selectBackend('gpu'); console.log('no error'); } catch (e) { console.log(e.name + ': ' + e.message); } });`;
    const run = spawnSync(process.execPath, ['-e', script], { env, encoding: 'utf8', timeout: 20_000 });
    expect(run.stdout).to.match(/BackendUnavailableError: .*headlessgl: not available \(.*no display.*xvfb-run -a/);
  });

  it("backend 'gpu' without the gl package suggests installing without --omit=optional; a gl that fails to load, npm rebuild gl", () => {
    expect(explainHeadlessGl({ installed: false, loadError: null, context: false, display: ':0', platform: 'linux' })).to.match(/'gl'.*not installed.*npm install without --omit=optional/);
    expect(explainHeadlessGl({ installed: true, loadError: 'bindings not found', context: false, display: ':0', platform: 'linux' })).to.match(/fails to load \(bindings not found\).*npm rebuild gl/);
    expect(explainHeadlessGl({ installed: true, loadError: null, context: false, display: undefined, platform: 'linux' })).to.match(/no display.*xvfb-run -a/);
  });

  it('a plain Float32Array passed to step names Vector.of(array) as the fix', () => {
    const o = new LARSOptimizer<'float32'>(null, { backend: 'cpu' });
    const w = new Float32Array(4).fill(1);
    expect(() => o.step(w as unknown as Vector<'float32'>, Vector.of(new Float32Array(4)))).to.throw(OptimizerInputError, /Vector\.of\(array\)/);
    expect(Array.from(w)).to.deep.equal([1, 1, 1, 1]);
  });

  it('loadState of JSON text suggests JSON.parse and changes nothing', () => {
    const text = JSON.stringify(savedAfterOneStep(8));
    const o = new LARSOptimizer<'float64'>(null, { backend: 'cpu' });
    const before = o.saveState();
    expect(() => o.loadState(text as unknown as SavedOptimizerState)).to.throw(OptimizerInputError, /loadState\(JSON\.parse\(text\)\)/);
    expect(o.saveState()).to.deep.equal(before);
  });

  it("a size mismatch on loadState says which number is the saved state's and which the layout's", () => {
    const o = new LARSOptimizer<'float64'>(null, { backend: 'cpu' }, { layout: LAYOUT });
    let error: unknown = null;
    try {
      o.loadState(savedAfterOneStep(10));
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(OptimizerInputError);
    expect(String(error)).to.match(/the saved state is for 10 parameters \(its length field\).*the layout's sizes add up to 8/);
  });

  for (const backend of ['WebAssembly', 'JS loops'] as const) {
    it(`allocateVector(10, 'int8') is an error, not a float64 vector (${backend} backend)`, () => {
      const o = new LARSOptimizer(null, { backend: 'cpu' }, backend === 'JS loops' ? { backend: new CpuBackend() } : {});
      expect(() => o.allocateVector(10, 'int8' as 'float32')).to.throw(TypeError, /unknown numeric type int8/);
      expect(() => Vector.zeros(10, 'int8' as 'float32')).to.throw(TypeError, /unknown numeric type int8/);
    });
  }
});
