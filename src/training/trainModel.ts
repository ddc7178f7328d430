import { Vector } from '../numeric/Vector.js';
import type { NumericType } from '../numeric/NumericType.js';
import type { FullModel } from '../models/FullModel.js';
import { OptimizerInputError } from '../core/OptimizerInputError.js';
import { SeededRandom } from '../util/SeededRandom.js';
import { rowCount, takeRows } from './batchRows.js';
import { EarlyStopping } from './EarlyStopping.js';
import { evaluateModel } from '../models/evaluateModel.js';
import type { EpochRecord, OptimizationResult, OptimizeControls, StopReason, TrainingData } from './OptimizationResult.js';
import type { TrainableOptimizer } from './TrainableOptimizer.js';
import { checkDataFitsModel } from './checkDataFitsModel.js';
import { TrainingDataError } from './TrainingDataError.js';

export { TrainingDataError } from './TrainingDataError.js';

/**
 * Steps in one epoch of `examples` examples: ceil(examples / batchSize), or
 * floor with `dropLastBatch`.
 *
 * @category Training
 */
export function stepsPerEpochFor(examples: number, batchSize: number, dropLastBatch: boolean): number {
  return dropLastBatch ? Math.floor(examples / batchSize) : Math.ceil(examples / batchSize);
}

/**
 * Trains the optimizer's model on `data` for up to `maxIterations` epochs of
 * shuffled mini-batches, as the optimizer's options say, and leaves the best
 * parameters on the model. See {@link OptimizationResult}.
 *
 * - Batches hold `batchSize` examples in an order shuffled per epoch from
 *   `seed` (unless `shuffleData` is off); `dropLastBatch` drops a short last batch.
 * - It tells the optimizer the steps per epoch, so warmup and schedule are
 *   counted in epochs.
 * - When the backend has memory of its own (WebAssembly), it first moves the
 *   model's parameters and gradient storage there ({@link FullModel.adoptStorage}),
 *   so steps copy nothing.
 * - "Best" is the lowest validation loss, or training loss without a
 *   validation set. With `useEarlyStopping`, it stops after
 *   `earlyStoppingPatience` epochs in a row without an improvement larger
 *   than `tolerance`.
 * - It yields to the event loop between steps, so an AbortSignal (or a
 *   timer, or Ctrl-C) can stop it; it then keeps the best epoch's parameters.
 * - A NaN or infinite loss or gradient ends the run with reason
 *   `'non-finite-loss'`, keeping the best parameters.
 * - If an `onProgress` or `onEpoch` callback throws, the best parameters so
 *   far are set on the model, as on abort, and the error is rethrown.
 *
 * @throws {@link TrainingDataError} when the model is missing or the data sets
 * do not fit it: rows that do not pair up, the wrong number of columns or
 * numeric type, NaN or ±Infinity in any set (nothing changes then).
 */
export async function trainModel<T extends NumericType, TInput, TOutput>(
  optimizer: TrainableOptimizer<T, TInput, TOutput>,
  data: TrainingData<TInput, TOutput>,
  controls: OptimizeControls = {},
): Promise<OptimizationResult> {
  const started = performance.now();
  const model = optimizer.model;
  if (model === null) throw new TrainingDataError('optimize() needs a model; this optimizer was built with model = null');
  const o = optimizer.options;
  const n = checkData(data);
  checkDataFitsModel(model, data);
  const steps = stepsPerEpochFor(n, o.batchSize, o.dropLastBatch);
  if (steps === 0) {
    throw new TrainingDataError(
      `dropLastBatch is on and the ${n} training examples do not fill one batch of ${o.batchSize}; lower batchSize or turn dropLastBatch off`,
    );
  }
  optimizer.setStepsPerEpoch(steps);

  if (model.adoptStorage !== undefined && optimizer.placesVectors) model.adoptStorage(optimizer.vectorAllocator);
  const rng = new SeededRandom(o.seed);
  const best = model.getParameters().clone();
  const stopping = new EarlyStopping(o.earlyStoppingPatience, o.tolerance);
  const hasValidation = data.xValidation !== undefined;
  const history: EpochRecord[] = [];
  let stopReason: StopReason = 'max-epochs';
  let stopMessage = `ran all ${o.maxIterations} epochs`;
  let totalSteps = 0;

  /** Runs a user callback; if it throws, the best parameters so far go on the model, as on abort, and the error goes on. */
  const report = <A>(callback: ((arg: A) => void) | undefined, arg: A): void => {
    try {
      callback?.(arg);
    } catch (error) {
      model.setParameters(best as Vector<T>);
      throw error;
    }
  };

  epochs: for (let epoch = 1; epoch <= o.maxIterations; epoch++) {
    const epochStart = performance.now();
    const order = o.shuffleData ? rng.permutation(n) : identity(n);
    let lossSum = 0;
    let lossCount = 0;
    let lr = optimizer.currentLearningRate;
    for (let s = 0; s < steps; s++) {
      if (controls.signal?.aborted) {
        stopReason = 'aborted';
        stopMessage = `aborted in epoch ${epoch} before step ${s + 1}`;
        break epochs;
      }
      const rows = order.subarray(s * o.batchSize, Math.min(n, (s + 1) * o.batchSize));
      const { loss, gradient } =
        model.computeGradientsOfRows !== undefined
          ? model.computeGradientsOfRows(data.xTrain, data.yTrain, rows)
          : model.computeGradients(takeRows(data.xTrain, rows), takeRows(data.yTrain, rows));
      if (!Number.isFinite(loss)) {
        stopReason = 'non-finite-loss';
        stopMessage = `the training loss became ${loss} in epoch ${epoch}, step ${s + 1} (the run diverged; try a lower learning rate)`;
        break epochs;
      }
      lr = optimizer.currentLearningRate;
      try {
        optimizer.step(model.getParameters(), gradient);
      } catch (error) {
        if (error instanceof OptimizerInputError && error.code.startsWith('non-finite')) {
          stopReason = 'non-finite-loss';
          stopMessage = `epoch ${epoch}, step ${s + 1}: ${error.message}`;
          break epochs;
        }
        throw error;
      }
      totalSteps++;
      lossSum += loss * rows.length;
      lossCount += rows.length;
      report(controls.onProgress, { epoch, step: s + 1, stepsPerEpoch: steps, loss, learningRate: lr });
      await yieldToEventLoop();
    }
    const validation = hasValidation ? evaluateModel(model, data.xValidation!, data.yValidation!) : null;
    const test = data.xTest !== undefined ? evaluateModel(model, data.xTest, data.yTest!) : null;
    const trainLoss = lossSum / lossCount;
    const record: EpochRecord = {
      epoch,
      trainLoss,
      trainAccuracy: null,
      validationLoss: validation?.loss ?? null,
      validationAccuracy: validation?.accuracy ?? null,
      testLoss: test?.loss ?? null,
      testAccuracy: test?.accuracy ?? null,
      learningRate: lr,
      steps: totalSteps,
      milliseconds: performance.now() - epochStart,
    };
    history.push(record);
    const monitoredLoss = validation?.loss ?? trainLoss;
    if (stopping.record(epoch, monitoredLoss)) best.data.set(model.getParameters().data);
    report(controls.onEpoch, record);
    if (!Number.isFinite(monitoredLoss)) {
      stopReason = 'non-finite-loss';
      stopMessage = `the ${hasValidation ? 'validation' : 'training'} loss became ${monitoredLoss} after epoch ${epoch}`;
      break;
    }
    if (o.useEarlyStopping && stopping.shouldStop) {
      stopReason = 'early-stopping';
      stopMessage = `no improvement larger than ${o.tolerance} for ${o.earlyStoppingPatience} epochs (best: epoch ${stopping.bestEpoch})`;
      break;
    }
  }

  model.setParameters(best as Vector<T>);
  return {
    stopReason,
    stopMessage,
    epochsRun: history.length,
    bestEpoch: stopping.bestEpoch,
    bestValidationLoss: stopping.best,
    monitored: hasValidation ? 'validation' : 'train',
    history,
    steps: totalSteps,
    elapsedMilliseconds: performance.now() - started,
  };
}

/** Checks the data sets before anything changes; returns the number of training examples. */
function checkData<TInput, TOutput>(data: TrainingData<TInput, TOutput>): number {
  if (data === null || typeof data !== 'object') throw new TrainingDataError('optimize() needs { xTrain, yTrain, ... }');
  const n = pairRows(data.xTrain, data.yTrain, 'train');
  if (n === null) throw new TrainingDataError('optimize() needs xTrain and yTrain');
  if (n === 0) throw new TrainingDataError('the training set is empty');
  pairRows(data.xValidation, data.yValidation, 'validation');
  pairRows(data.xTest, data.yTest, 'test');
  return n;
}

function pairRows(x: unknown, y: unknown, name: string): number | null {
  if (x === undefined && y === undefined) return null;
  const cap = name[0].toUpperCase() + name.slice(1);
  if (x === undefined || y === undefined) {
    throw new TrainingDataError(`x${cap} and y${cap} come together; got only ${x === undefined ? `y${cap}` : `x${cap}`}`);
  }
  let rx: number;
  let ry: number;
  try {
    rx = rowCount(x, `x${cap}`);
    ry = rowCount(y, `y${cap}`);
  } catch (e) {
    throw new TrainingDataError((e as Error).message);
  }
  if (rx !== ry) throw new TrainingDataError(`x${cap} has ${rx} rows but y${cap} has ${ry}`);
  return rx;
}

function identity(n: number): Uint32Array {
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  return out;
}

function yieldToEventLoop(): Promise<void> {
  // Browsers have no setImmediate; a zero timeout also lets the page repaint.
  return new Promise((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));
}
