import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../..', import.meta.url));

describe('the packed package (npm pack → npm install in a new project)', function () {
  this.timeout(300_000);

  it('installs CPU-only, runs from plain ESM (construct, step; a perceptron on 2 threads) and type-checks a strict TypeScript file using both entry points', () => {
    const result = spawnSync(process.execPath, ['scripts/check-package.mjs'], { cwd: root, encoding: 'utf8' });
    expect(result.status, `${result.stdout}\n${result.stderr}`).to.equal(0);
    expect(result.stdout).to.match(/installs, runs from ESM \(\{"backend":"(wasm-simd|cpu)","w0":0\.99\d+,"iterations":1,"denseWorkers":1\}\)/);
  });
});
