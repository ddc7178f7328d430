/**
 * Why training stopped:
 * - `'max-epochs'`: all `maxIterations` epochs ran;
 * - `'early-stopping'`: the monitored loss did not improve for `earlyStoppingPatience` epochs;
 * - `'aborted'`: the AbortSignal fired;
 * - `'non-finite-loss'`: a loss or gradient became NaN or ±Infinity (the run diverged).
 *
 * @category Training
 */
export type StopReason = 'max-epochs' | 'early-stopping' | 'aborted' | 'non-finite-loss';

/**
 * The figures of one finished epoch.
 *
 * @category Training
 */
export interface EpochRecord {
  /** 1-based epoch number. */
  readonly epoch: number;
  /** Mean training loss over the epoch's mini-batches (measured before each step). */
  readonly trainLoss: number;
  /** Training accuracy over the epoch's mini-batches, or null when it does not apply. */
  readonly trainAccuracy: number | null;
  /** Loss on the validation set after the epoch, or null without one. */
  readonly validationLoss: number | null;
  /** Accuracy on the validation set, or null. */
  readonly validationAccuracy: number | null;
  /** Loss on the test set after the epoch, or null without one. */
  readonly testLoss: number | null;
  /** Accuracy on the test set, or null. */
  readonly testAccuracy: number | null;
  /** The learning rate of the epoch's last step. */
  readonly learningRate: number;
  /** Optimizer steps taken so far, in total. */
  readonly steps: number;
  /** Milliseconds the epoch took, evaluation included. */
  readonly milliseconds: number;
}

/**
 * What `optimize` returns. The best parameters are already set on the model.
 *
 * @category Training
 */
export interface OptimizationResult {
  /** Why it stopped. */
  readonly stopReason: StopReason;
  /** A sentence saying why, for people. */
  readonly stopMessage: string;
  /** Epochs completed. */
  readonly epochsRun: number;
  /** The epoch whose parameters were kept (0: the starting parameters). */
  readonly bestEpoch: number;
  /** The best monitored loss: validation loss with a validation set, else training loss. Infinity when no epoch finished. */
  readonly bestValidationLoss: number;
  /** Which loss was monitored for "best" and early stopping. */
  readonly monitored: 'validation' | 'train';
  /** Per-epoch figures, in order. */
  readonly history: readonly EpochRecord[];
  /** Total optimizer steps. */
  readonly steps: number;
  /** Wall-clock milliseconds of the whole run. */
  readonly elapsedMilliseconds: number;
}

/**
 * Training, validation and test sets: inputs and targets with one row per example.
 *
 * @category Training
 */
export interface TrainingData<TInput, TOutput> {
  /** Training inputs. */
  readonly xTrain: TInput;
  /** Training targets. */
  readonly yTrain: TOutput;
  /** Validation inputs: monitored for the best parameters and early stopping. Optional. */
  readonly xValidation?: TInput;
  /** Validation targets. */
  readonly yValidation?: TOutput;
  /** Test inputs: measured every epoch, never used to choose anything. Optional. */
  readonly xTest?: TInput;
  /** Test targets. */
  readonly yTest?: TOutput;
}

/**
 * What the progress callback receives after every step.
 *
 * @category Training
 */
export interface TrainingProgress {
  /** 1-based epoch. */
  readonly epoch: number;
  /** 1-based step within the epoch. */
  readonly step: number;
  /** Steps in each epoch. */
  readonly stepsPerEpoch: number;
  /** The mini-batch loss of this step (before the update). */
  readonly loss: number;
  /** The learning rate this step used. */
  readonly learningRate: number;
}

/**
 * Optional hooks of a training run.
 *
 * @category Training
 */
export interface OptimizeControls {
  /** Called after every step. Default: none. */
  readonly onProgress?: (progress: TrainingProgress) => void;
  /** Called after every epoch with its figures. Default: none. */
  readonly onEpoch?: (record: EpochRecord) => void;
  /** Stops the run between steps, keeping the best result. Default: none. */
  readonly signal?: AbortSignal;
}
