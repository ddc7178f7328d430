import type { Tensor } from '@tensorflow/tfjs-core';

/**
 * A tensor with a name, as tfjs optimizers exchange gradients and weights (tfjs-core's `NamedTensor`).
 *
 * @category TensorFlow.js
 */
export interface NamedTensor {
  /** The variable's or weight's name. */
  name: string;
  /** Its value. */
  tensor: Tensor;
}
