import { Callback } from '@tensorflow/tfjs-layers';
import type { TfjsLARSOptimizer } from './TfjsLARSOptimizer.js';

/**
 * The part of tfjs-layers' fit parameters {@link LARSScheduleCallback} reads.
 *
 * @category TensorFlow.js
 */
export interface FitParams {
  /** Batches per epoch, when fit knows them (fitDataset's batchesPerEpoch). */
  readonly steps?: number | null;
  /** Training examples (fit on tensors). */
  readonly samples?: number | null;
  /** Examples per batch. */
  readonly batchSize?: number | null;
}

/**
 * A tfjs-layers `fit` callback that tells a {@link TfjsLARSOptimizer} how many
 * steps make an epoch (fit's batch count: `steps`, else ⌈samples / batchSize⌉),
 * so that warmup and the schedule run as in the core, and keys momentum by
 * the model's own weight names.
 *
 * @example
 * ```ts
 * await model.fit(x, y, { epochs: 5, batchSize: 4096, callbacks: [new LARSScheduleCallback(optimizer)] });
 * ```
 *
 * @category TensorFlow.js
 */
export class LARSScheduleCallback extends Callback {
  /** The optimizer whose steps per epoch this callback sets. */
  readonly optimizer: TfjsLARSOptimizer;

  /** @param optimizer - the optimizer the model was compiled with. */
  constructor(optimizer: TfjsLARSOptimizer) {
    super();
    this.optimizer = optimizer;
  }

  /** Reads fit's batch count and passes it on (tfjs-layers calls it before training). */
  override setParams(params: FitParams & Record<string, unknown>): void {
    super.setParams(params as never);
    const steps = stepsOf(params);
    if (steps !== null) this.optimizer.setStepsPerEpoch(steps);
  }

  /** Keys momentum by the model's weight names (tfjs-layers calls it when fit starts). */
  override async onTrainBegin(): Promise<void> {
    const weights = this.model?.trainableWeights;
    if (weights !== undefined) this.optimizer.adoptVariableNames(weights);
  }
}

/** Steps in one epoch of fit: its `steps`, else ⌈samples / batchSize⌉, else null. */
function stepsOf(params: FitParams): number | null {
  if (typeof params.steps === 'number' && Number.isInteger(params.steps) && params.steps >= 1) return params.steps;
  const { samples, batchSize } = params;
  if (typeof samples === 'number' && typeof batchSize === 'number' && samples > 0 && batchSize > 0) return Math.ceil(samples / batchSize);
  return null;
}
