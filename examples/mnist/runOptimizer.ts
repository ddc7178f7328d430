import { LARSOptimizer, MomentumSGDOptimizer, MultilayerPerceptron, type GradientBasedOptimizer, type DenseKernelChoice, type Matrix, type OptimizationResult, type OptimizeControls } from '../../src/index.js';
import type { DigitSplit } from './loadDigits.js';
import type { MnistFlags, OptimizerName } from './parseFlags.js';

/** One training run's settings: the flags that shape a single run (a null lr means {@link defaultLearningRate}). */
export type RunSettings = Pick<MnistFlags, 'optimizer' | 'batchSize' | 'epochs' | 'lr' | 'seed' | 'backend' | 'hidden'> & {
  /** Threads of the perceptron's matrix products ({@link MnistFlags.threads}). Default 1. */
  readonly threads?: MnistFlags['threads'];
};

/** What a run leaves behind, ready for JSON. */
export interface RunRecord {
  /** The settings. */
  readonly settings: RunSettings;
  /** The optimizer's full options. */
  readonly options: unknown;
  /** The backend that ran the optimizer. */
  readonly backend: string;
  /** The result of `optimize`. */
  readonly result: OptimizationResult;
  /** Test accuracy of the kept parameters. */
  readonly finalTestAccuracy: number;
  /** The epoch with the best test accuracy (for the comparison table). */
  readonly bestTestEpoch: number;
}


/**
 * The default learning rate: LARS 20 (its trust ratio scales it down per
 * layer), momentum SGD 0.1 × batch/256 (the linear scaling rule).
 */
export function defaultLearningRate(optimizer: OptimizerName, batchSize: number): number {
  return optimizer === 'lars' ? 20 : (0.1 * batchSize) / 256;
}

/**
 * Builds the perceptron and the optimizer for `settings`; `kernels` says
 * where the perceptron's products run (default `'auto'`: WebAssembly SIMD
 * where available).
 */
export function buildOptimizer(
  settings: RunSettings,
  kernels: DenseKernelChoice = 'auto',
): GradientBasedOptimizer<'float32', Matrix<'float32'>, Matrix<'float32'>> {
  const model = new MultilayerPerceptron({
    layerSizes: [784, ...settings.hidden, 10], dtype: 'float32', seed: settings.seed, kernels, threads: kernels === 'js' ? 1 : (settings.threads ?? 1),
  });
  const common = {
    initialLearningRate: settings.lr ?? defaultLearningRate(settings.optimizer, settings.batchSize),
    batchSize: settings.batchSize,
    maxIterations: settings.epochs,
    seed: settings.seed,
    momentum: 0.9,
    warmupEpochs: Math.min(5, Math.max(0, settings.epochs - 1)),
    learningRateSchedule: 'polynomial' as const,
    polynomialPower: 2,
    useEarlyStopping: false,
    backend: settings.backend,
  };
  return settings.optimizer === 'lars'
    ? new LARSOptimizer(model, { ...common, trustCoefficient: 0.001, weightDecay: 5e-4 })
    : new MomentumSGDOptimizer(model, { ...common, weightDecay: 5e-4 });
}

/** Trains one run on `data` and gathers its record; `kernels` as for {@link buildOptimizer}. */
export async function runOptimizer(
  settings: RunSettings,
  data: DigitSplit,
  hooks: OptimizeControls = {},
  kernels: DenseKernelChoice = 'auto',
): Promise<RunRecord> {
  const optimizer = buildOptimizer(settings, kernels);
  try {
    const result = await optimizer.optimize(
      { xTrain: data.train.x, yTrain: data.train.y, xTest: data.test.x, yTest: data.test.y },
      hooks,
    );
    const model = optimizer.model as MultilayerPerceptron<'float32'>;
    const finalTestAccuracy = model.evaluate(data.test.x, data.test.y).accuracy;
    let bestTestEpoch = 0;
    let bestAcc = -1;
    for (const e of result.history) {
      if ((e.testAccuracy ?? -1) > bestAcc) {
        bestAcc = e.testAccuracy ?? -1;
        bestTestEpoch = e.epoch;
      }
    }
    return { settings, options: optimizer.options.toJSON(), backend: optimizer.backendName, result, finalTestAccuracy, bestTestEpoch };
  } finally {
    optimizer.dispose();
    (optimizer.model as MultilayerPerceptron<'float32'>).dispose();
  }
}
