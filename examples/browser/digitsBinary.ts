import { Matrix, oneHot } from '../../src/index.js';
import { SeededRandom } from '../../src/util/SeededRandom.js';
import type { DigitSet, DigitSplit } from '../mnist/loadDigits.js';

export type { DigitSet, DigitSplit };

/**
 * Reads digits.bin (made by scripts/build-digits.mjs: "LDG1", count, rows,
 * columns, labels, then one byte per pixel) and splits it at random, from
 * `seed`, into `testCount` test images and `trainCount` training images.
 *
 * @throws Error when the file is not a digits binary or holds too few images.
 */
export function parseDigits(buffer: ArrayBuffer, seed: number, trainCount: number, testCount: number): DigitSplit {
  const view = new DataView(buffer);
  const magic = String.fromCharCode(...new Uint8Array(buffer, 0, 4));
  if (magic !== 'LDG1') throw new Error(`not a digits binary (magic "${magic}")`);
  const count = view.getUint32(4, true);
  const pixels = view.getUint16(8, true) * view.getUint16(10, true);
  if (buffer.byteLength !== 12 + count * (1 + pixels)) throw new Error(`digits binary of ${buffer.byteLength} bytes, expected ${12 + count * (1 + pixels)}`);
  if (trainCount + testCount > count) throw new Error(`asked for ${trainCount} + ${testCount} images, the file holds ${count}`);
  const labels = new Uint8Array(buffer, 12, count);
  const bytes = new Uint8Array(buffer, 12 + count, count * pixels);
  const order = new SeededRandom(seed).permutation(count);
  const take = (rows: Uint32Array): DigitSet => {
    const x = new Float32Array(rows.length * pixels);
    const y = new Uint8Array(rows.length);
    rows.forEach((r, i) => {
      for (let p = 0; p < pixels; p++) x[i * pixels + p] = bytes[r * pixels + p] / 255;
      y[i] = labels[r];
    });
    return { x: new Matrix<'float32'>(rows.length, pixels, x), y: oneHot(y, 10, 'float32') };
  };
  return { test: take(order.subarray(0, testCount)), train: take(order.subarray(testCount, testCount + trainCount)) };
}
