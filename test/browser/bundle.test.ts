import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { PRESET_FOR_PEER } from '../support/replay.js';
import { chromiumMissing, launchChromium, REPO_ROOT } from './support/chromium.js';
import { badInputInPage, eightBitThreadsInPage, replayInPage, selectionInPage, threadsInPage, type PageBackend, type ReplayOutcome } from './support/inPage.js';
import { startStaticServer, type StaticServer } from './support/staticServer.js';

/** The golden peers and the preset each maps to in the page (kept equal to the Node replay's table below). */
const PRESETS: Record<string, string> = { timm_Lars: 'timm', bolts_LARS: 'bolts', bnb_PytorchLARS: 'bitsandbytes' };
const BUNDLE = path.join(REPO_ROOT, 'dist/browser/lars-ts.js');

describe('the browser bundles in Chromium (dist/browser/lars-ts.js and backends.js from a plain <script type="module">)', function () {
  this.timeout(120000);
  let server: StaticServer;
  let context: BrowserContext;
  let close: () => Promise<void>;
  const pages = new Map<string, Page>();
  const errors: string[] = [];

  before(async function () {
    const missing = chromiumMissing();
    if (missing !== null) {
      console.log(`      (skipped: ${missing})`);
      this.skip();
    }
    expect(fs.existsSync(BUNDLE), `${BUNDLE} is missing: run npm run build:browser`).to.equal(true);
    server = await startStaticServer(REPO_ROOT);
    ({ context, close } = await launchChromium());
  });

  after(async () => {
    for (const page of pages.values()) await page.close();
    await close?.();
    await server?.close();
  });

  /** The harness page, plain or cross-origin isolated, with the bundle loaded as `window.lars` (one page of each, reused). */
  async function harness(isolated: boolean): Promise<Page> {
    const key = isolated ? 'isolated' : 'plain';
    const open = pages.get(key);
    if (open !== undefined) return open;
    const page = await context.newPage();
    page.on('pageerror', (e) => void errors.push(`${key}: ${e.message}`));
    await page.goto(`${server.origin}/test/browser/pages/harness.html${isolated ? '?isolated' : ''}`);
    await page.waitForFunction(() => 'lars' in window, null, { timeout: 30000 });
    pages.set(key, page);
    return page;
  }

  it('loads with no page error and exports the library', async () => {
    const page = await harness(false);
    const names = await page.evaluate(() => Object.keys((window as unknown as { lars: object }).lars));
    expect(names).to.include.members(['LARSOptimizer', 'WasmBackend', 'GpuJsBackend', 'MultilayerPerceptron', 'probeGpuBackend']);
    // lars-ts.js and backends.js share their chunks: one class, not two copies (instanceof works across the entries).
    const shared = await page.evaluate(() => {
      const { root, backends } = (window as unknown as { larsEntries: { root: Record<string, unknown>; backends: Record<string, unknown> } }).larsEntries;
      return [root.BackendUnavailableError === backends.BackendUnavailableError, typeof root.BackendUnavailableError === 'function'];
    });
    expect(shared).to.deep.equal([true, true]);
    expect(errors).to.deep.equal([]);
  });

  it('the page table of presets matches the Node replay', () => {
    expect(Object.keys(PRESETS).sort()).to.deep.equal(Object.keys(PRESET_FOR_PEER).sort());
  });

  /** Replays the golden runs on `backend` and checks that they all ran there, without a fallback. */
  async function replay(backend: PageBackend, isolated: boolean, dtype: 'float32' | 'float64'): Promise<ReplayOutcome[]> {
    const page = await harness(isolated);
    const outcomes = await page.evaluate(replayInPage, { presets: PRESETS, backend, dtype });
    expect(outcomes.length, 'ok golden runs replayed').to.be.greaterThan(10);
    for (const o of outcomes) expect(o.warnings, `${o.id}: warnings (a fallback?)`).to.deep.equal([]);
    return outcomes;
  }

  it('golden replay on the JS backend: float64, every step to 1e-12', async () => {
    for (const o of await replay('js', false, 'float64')) {
      expect(o.backendName, o.id).to.equal('cpu');
      expect(o.maxAbs, o.id).to.be.at.most(1e-12);
    }
  });

  it('golden replay on the WebAssembly SIMD backend: float64, every step to 1e-12', async () => {
    for (const o of await replay('wasm', false, 'float64')) {
      expect(o.backendName, o.id).to.equal('wasm-simd');
      expect(o.maxAbs, o.id).to.be.at.most(1e-12);
    }
  });

  it('golden replay on the gpu.js WebGL2 backend (SwiftShader): float32, 1e-5 relative per layer', async () => {
    // float32 kernels: each step rounds to float32 (2^-24 ≈ 6e-8 relative), and the errors of the few golden steps stay below 1e-5, as in Node.
    const outcomes = await replay('gpu', false, 'float32');
    for (const o of outcomes) {
      expect(o.backendName, o.id).to.equal('webgl2');
      expect(o.launches, `${o.id}: GPU kernel launches`).to.be.greaterThan(0);
      expect(o.maxRel, o.id).to.be.at.most(1e-5);
    }
    // Only a real WebGL2 context names its version and renderer so.
    expect(outcomes[0].renderer).to.match(/^WebGL 2\.0/);
    expect(outcomes[0].renderer).to.match(/SwiftShader/i);
    console.log(`      (ran on ${outcomes[0].renderer})`);
  });

  it('golden replay with Web Workers in a cross-origin-isolated page: float64, every step to 1e-12, workers took part', async () => {
    const outcomes = await replay('threads', true, 'float64');
    let jobs = 0;
    for (const o of outcomes) {
      expect(o.backendName, o.id).to.equal('wasm-simd');
      expect(o.maxAbs, o.id).to.be.at.most(1e-12);
      expect(o.workerJobs, `${o.id}: passes entered by the Web Workers`).to.be.greaterThan(0);
      jobs += o.workerPieces;
    }
    console.log(`      (the Web Workers computed ${jobs} pieces in all)`);
  });

  it('cpuThreads 2 starts Web Workers in a cross-origin-isolated page, without a warning', async () => {
    const o = await (await harness(true)).evaluate(threadsInPage);
    expect(o.crossOriginIsolated).to.equal(true);
    expect(o.backendName).to.equal('wasm-simd');
    expect(o.workers).to.equal(1);
    expect(o.warnings).to.deep.equal([]);
  });

  it('8-bit momentum on 3 Web Workers: parameters and saved state bit for bit equal to one thread', async () => {
    const o = await (await harness(true)).evaluate(eightBitThreadsInPage);
    expect(o.bits, 'layers of 1000+ elements 8-bit, smaller ones 32-bit').to.deep.equal([8, 32, 8, 32]);
    expect(o.differing, `parameters differing of ${o.compared}`).to.equal(0);
    expect(o.sameState, 'codes, absmax and 32-bit values').to.equal(true);
    expect(o.workerJobs, 'passes the Web Workers entered').to.be.greaterThan(0);
    expect(o.workerPieces, 'pieces the Web Workers computed').to.be.greaterThan(0);
    expect(o.warnings).to.deep.equal([]);
  });

  it('cpuThreads 2 runs on one thread without COOP/COEP, and the warning says which headers are missing', async () => {
    const o = await (await harness(false)).evaluate(threadsInPage);
    expect(o.crossOriginIsolated).to.equal(false);
    expect(o.backendName).to.equal('wasm-simd');
    expect(o.workers).to.equal(0);
    expect(o.warnings).to.have.length(1);
    expect(o.warnings[0]).to.match(/one thread/).and.match(/Cross-Origin-Opener-Policy: same-origin/).and.match(/Cross-Origin-Embedder-Policy: require-corp/);
  });

  it("backend selection as in Node: 'gpu' takes WebGL2 on SwiftShader, 'auto' declines a software renderer for the CPU", async () => {
    const o = await (await harness(false)).evaluate(selectionInPage);
    expect(o.gpu).to.equal('webgl2');
    expect(o.auto).to.equal('wasm-simd');
    expect(o.autoReason).to.match(/webgl2: software renderer/);
  });

  it('bad input is rejected on every backend with the same error, nothing changes, and the next step is as if it never came', async () => {
    const outcomes = await (await harness(true)).evaluate(badInputInPage, ['js', 'wasm', 'threads', 'gpu'] as PageBackend[]);
    const expected: Record<string, string> = {
      'NaN gradient': 'OptimizerInputError non-finite-gradient',
      'infinite parameter': 'OptimizerInputError non-finite-parameters',
      'length mismatch': 'OptimizerInputError length-mismatch',
    };
    const names: Record<PageBackend, string> = { js: 'cpu', wasm: 'wasm-simd', threads: 'wasm-simd', gpu: 'webgl2' };
    expect(outcomes).to.have.length(12);
    for (const o of outcomes) {
      const what = `${o.backend}, ${o.spoil}`;
      expect(o.backendName, what).to.equal(names[o.backend]);
      expect(o.error, what).to.equal(expected[o.spoil]);
      expect(o.changed, `${what}: parameters changed`).to.equal(0);
      // float32 vectors: the GPU computes in float32, the CPU reference in float64 rounded once.
      expect(o.afterwards, `${what}: next step vs an optimizer that never saw the bad input`).to.be.at.most(o.backend === 'gpu' ? 1e-5 : 1e-6);
      expect(o.warnings, what).to.deep.equal([]);
      if (o.backend === 'threads') expect(o.workerJobs, `${what}: passes the Web Workers entered`).to.be.greaterThan(0);
    }
    expect(errors).to.deep.equal([]);
  });
});
