import type { FullModel } from '../models/FullModel.js';
import type { VectorAllocator } from '../models/ModelStorage.js';
import type { NumericType } from '../numeric/NumericType.js';
import type { Vector } from '../numeric/Vector.js';

/**
 * The training settings {@link trainModel} reads from an optimizer's options.
 *
 * @category Training
 */
export interface TrainingSettings {
  /** Epochs at most. */
  readonly maxIterations: number;
  /** Examples per mini-batch. */
  readonly batchSize: number;
  /** Drop a short last batch. */
  readonly dropLastBatch: boolean;
  /** Shuffle the examples every epoch. */
  readonly shuffleData: boolean;
  /** Seed of the shuffle. */
  readonly seed: number;
  /** Stop when the monitored loss stops improving. */
  readonly useEarlyStopping: boolean;
  /** Epochs without improvement before early stopping. */
  readonly earlyStoppingPatience: number;
  /** Smallest decrease of the loss that counts as an improvement. */
  readonly tolerance: number;
}

/**
 * What the training loop needs of an optimizer, and nothing more: its model
 * and options, a step, the learning rate for progress reports, and where to
 * place vectors. `LARSOptimizer` and `MomentumSGDOptimizer` are trainable
 * optimizers; so is anything else with these members.
 *
 * @typeParam T - numeric type of parameters and gradients.
 * @typeParam TInput - a batch of model inputs.
 * @typeParam TOutput - a batch of model outputs.
 *
 * @category Training
 */
export interface TrainableOptimizer<T extends NumericType, TInput, TOutput> {
  /** The model to train, or null (then training is refused). */
  readonly model: FullModel<T, TInput, TOutput> | null;
  /** Batch size, epochs, shuffling and early stopping. */
  readonly options: TrainingSettings;
  /** The learning rate the next step will use (reported in progress). */
  readonly currentLearningRate: number;
  /** Whether {@link TrainableOptimizer.vectorAllocator} places vectors where steps copy nothing. */
  readonly placesVectors: boolean;
  /** Allocates vectors where steps copy nothing, for {@link FullModel.adoptStorage}. */
  readonly vectorAllocator: VectorAllocator;
  /** Tells the schedule how many steps make an epoch. */
  setStepsPerEpoch(steps: number | null): void;
  /** One step, in place. */
  step(parameters: Vector<T>, gradient: Vector<T>): void;
}
