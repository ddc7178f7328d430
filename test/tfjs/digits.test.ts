import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs-core';
import { LARSScheduleCallback, TfjsLARSOptimizer } from '../../src/tfjs/index.js';
import {
  accuracy,
  buildConvNet,
  digitTensors,
  disposeDigits,
  larsDigitsOptions,
  MOMENTUM_DIGITS_LR,
  type DigitTensors,
} from '../../examples/tfjs/digitsConvNet.js';
import { TFJS_BACKENDS, useTfjsBackend } from './support/tfjsBackends.js';

const EPOCHS = 4;
const BATCH = 4096;

for (const backend of TFJS_BACKENDS) {
  describe(`a tfjs-layers conv net on the bundled digits, batch ${BATCH}, ${EPOCHS} epochs (tfjs ${backend} backend)`, function () {
    this.timeout(300_000);
    let data: DigitTensors;
    before(async () => {
      await useTfjsBackend(backend);
      data = digitTensors(1);
    });
    after(() => disposeDigits(data));

    async function train(optimizer: tf.Optimizer, callbacks: LARSScheduleCallback[]): Promise<number> {
      const model = buildConvNet(7);
      model.compile({ optimizer, loss: 'categoricalCrossentropy' });
      await model.fit(data.trainX, data.trainY, { epochs: EPOCHS, batchSize: BATCH, verbose: 0, shuffle: false, callbacks });
      const acc = accuracy(model, data.testX, data.testY);
      model.dispose();
      optimizer.dispose();
      return acc;
    }

    it('LARS trains well above chance (10%); tf.train.momentum trains alongside for comparison', async () => {
      const lars = new TfjsLARSOptimizer(larsDigitsOptions(EPOCHS));
      const larsAccuracy = await train(lars, [new LARSScheduleCallback(lars)]);
      const momentumAccuracy = await train(tf.train.momentum(MOMENTUM_DIGITS_LR, 0.9), []);
      console.log(
        `      (test accuracy on 2,000 held-out digits: LARS ${(100 * larsAccuracy).toFixed(1)}%, ` +
          `tf.train.momentum(${MOMENTUM_DIGITS_LR}, 0.9) ${(100 * momentumAccuracy).toFixed(1)}%)`,
      );
      expect(larsAccuracy).to.be.greaterThan(0.4);
      expect(momentumAccuracy).to.be.greaterThan(0.1);
    });
  });
}
