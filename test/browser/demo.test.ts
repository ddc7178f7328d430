import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { chromiumMissing, launchChromium, REPO_ROOT } from './support/chromium.js';
import { startStaticServer, type StaticServer } from './support/staticServer.js';

/** Where the demo's screenshot goes (gitignored, with the other build output). */
const SCREENSHOT = path.join(REPO_ROOT, 'build/test-output/demo.png');

/** The page's `window.larsDemo`, as far as the test reads it. */
interface DemoState {
  status: string;
  error: string | null;
  backends: Record<string, string>;
  epochs: Record<string, { epoch: number; testAccuracy: number | null; trainLoss: number }[]>;
  warnings: string[];
  chartPoints: number;
}

describe('the demo page (examples/browser, built into build/demo) in Chromium', function () {
  this.timeout(120000);
  let server: StaticServer;
  let context: BrowserContext;
  let close: () => Promise<void>;
  const errors: string[] = [];

  before(async function () {
    const missing = chromiumMissing();
    if (missing !== null) {
      console.log(`      (skipped: ${missing})`);
      this.skip();
    }
    for (const file of ['index.html', 'demo.js', 'lars-ts.js', 'digits.bin']) {
      expect(fs.existsSync(path.join(REPO_ROOT, 'build/demo', file)), `build/demo/${file} is missing: run npm run build:demo`).to.equal(true);
    }
    server = await startStaticServer(path.join(REPO_ROOT, 'build/demo'));
    ({ context, close } = await launchChromium());
  });

  after(async () => {
    await close?.();
    await server?.close();
  });

  async function open(query: string, isolated = true): Promise<Page> {
    const page = await context.newPage();
    page.on('pageerror', (e) => void errors.push(e.message));
    // `isolated` makes the test server send COOP/COEP, as scripts/demo-server.mjs does.
    await page.goto(`${server.origin}/index.html?${isolated ? 'isolated&' : ''}${query}`);
    return page;
  }

  const demoState = (page: Page) => page.evaluate(() => (window as unknown as { larsDemo: DemoState }).larsDemo);

  it('trains LARS and momentum SGD on WebAssembly for 4 epochs: accuracy rises, the chart is drawn, a screenshot is saved', async () => {
    const page = await open('autostart&backend=wasm&epochs=4&train=3000&test=1000&batch=1024&hidden=64');
    await page.waitForFunction(() => ['done', 'stopped', 'error'].includes((window as unknown as { larsDemo: DemoState }).larsDemo.status), null, { timeout: 90000 });
    const state = await demoState(page);
    expect(state.error).to.equal(null);
    expect(state.status).to.equal('done');
    expect(state.backends).to.deep.equal({ LARS: 'wasm-simd', 'momentum SGD': 'wasm-simd' });
    expect(state.warnings).to.deep.equal([]);
    for (const [name, records] of Object.entries(state.epochs)) {
      expect(records.map((r) => r.epoch), name).to.deep.equal([1, 2, 3, 4]);
      const accuracy = records.map((r) => r.testAccuracy ?? 0);
      // From the first epoch's accuracy to the best later one: at least 10 points up, and well above chance (10 %).
      expect(Math.max(...accuracy.slice(1)), `${name}: ${accuracy.join(', ')}`).to.be.at.least(accuracy[0] + 0.1).and.at.least(0.5);
    }
    // Two points (loss, accuracy) per optimizer and epoch; the SVG holds one symbol per point, plus the legend's two.
    expect(state.chartPoints).to.equal(16);
    const drawn = await page.evaluate(() => ({
      symbols: document.querySelectorAll('#chart svg .mark-symbol path').length,
      lines: document.querySelectorAll('#chart svg .mark-line path').length,
      isolated: crossOriginIsolated,
      progress: (document.getElementById('progress') as HTMLProgressElement).position,
      summary: document.getElementById('summary')!.textContent,
    }));
    expect(drawn.symbols).to.equal(16 + 2);
    expect(drawn.lines).to.equal(4);
    expect(drawn.isolated).to.equal(true);
    expect(drawn.progress).to.equal(1);
    expect(drawn.summary).to.match(/LARS\s*wasm-simd/);
    fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(fs.statSync(SCREENSHOT).size).to.be.greaterThan(10000);
    console.log(`      (screenshot: ${path.relative(REPO_ROOT, SCREENSHOT)})`);
    await page.close();
    expect(errors).to.deep.equal([]);
  });

  it('the backend choice GPU trains with both optimizers on gpu.js WebGL2', async () => {
    const page = await open('autostart&backend=gpu&epochs=2&train=1000&test=300&batch=500&hidden=16');
    await page.waitForFunction(() => ['done', 'stopped', 'error'].includes((window as unknown as { larsDemo: DemoState }).larsDemo.status), null, { timeout: 90000 });
    const state = await demoState(page);
    expect(state.error).to.equal(null);
    expect(state.status).to.equal('done');
    expect(state.backends).to.deep.equal({ LARS: 'webgl2', 'momentum SGD': 'webgl2' });
    expect(state.warnings, 'a fallback to the CPU would warn').to.deep.equal([]);
    for (const records of Object.values(state.epochs)) expect(records.map((r) => r.epoch)).to.deep.equal([1, 2]);
    await page.close();
    expect(errors).to.deep.equal([]);
  });

  it('served without COOP/COEP, the page trains on one thread and shows the warning that names the headers', async () => {
    const page = await open('autostart&backend=wasm&epochs=1&train=500&test=200&batch=250&hidden=8', false);
    await page.waitForFunction(() => ['done', 'stopped', 'error'].includes((window as unknown as { larsDemo: DemoState }).larsDemo.status), null, { timeout: 60000 });
    const state = await demoState(page);
    expect(state.status).to.equal('done');
    expect(state.backends).to.deep.equal({ LARS: 'wasm-simd', 'momentum SGD': 'wasm-simd' });
    expect(state.warnings).to.have.length(2);
    for (const w of state.warnings) expect(w).to.match(/one thread/).and.match(/Cross-Origin-Opener-Policy: same-origin/).and.match(/Cross-Origin-Embedder-Policy: require-corp/);
    expect(await page.textContent('#warnings')).to.match(/Cross-Origin-Embedder-Policy/);
    expect(await page.textContent('#backends')).to.match(/not cross-origin isolated/);
    await page.close();
    expect(errors).to.deep.equal([]);
  });

  it('the backend choice JS runs on the JS loops, and Stop ends the run between two steps', async () => {
    const page = await open('epochs=50&train=2000&test=500&batch=500&hidden=16');
    await page.waitForFunction(() => (window as unknown as { larsDemo: DemoState }).larsDemo.status === 'ready', null, { timeout: 30000 });
    await page.selectOption('select[name=backend]', 'js');
    await page.click('#start');
    await page.waitForFunction(() => Object.keys((window as unknown as { larsDemo: DemoState }).larsDemo.epochs).length === 2, null, { timeout: 30000 });
    await page.click('#stop');
    await page.waitForFunction(() => (window as unknown as { larsDemo: DemoState }).larsDemo.status !== 'training', null, { timeout: 30000 });
    const state = await demoState(page);
    expect(state.status).to.equal('stopped');
    expect(state.backends).to.deep.equal({ LARS: 'cpu', 'momentum SGD': 'cpu' });
    for (const records of Object.values(state.epochs)) expect(records.length).to.be.within(1, 49);
    expect(await page.isEnabled('#start')).to.equal(true);
    await page.close();
    expect(errors).to.deep.equal([]);
  });
});
