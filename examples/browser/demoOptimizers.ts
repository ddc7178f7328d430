import { CpuBackend } from '../../src/backends/index.js';
import { LARSOptimizer, MomentumSGDOptimizer, MultilayerPerceptron, type GradientBasedOptimizer, type Matrix } from '../../src/index.js';
import type { DemoSettings } from './demoSettings.js';

/** An optimizer of the demo with the perceptron it trains. */
export type DemoOptimizer = GradientBasedOptimizer<'float32', Matrix<'float32'>, Matrix<'float32'>>;

/** The two contenders' names, as the chart shows them. */
export const OPTIMIZER_NAMES = ['LARS', 'momentum SGD'] as const;

/**
 * LARS and momentum SGD at the same (large) batch, each on its own
 * perceptron from the same seed, on the chosen backend. The settings follow
 * the Node example (examples/mnist): LARS with trust coefficient 0.001, SGD by
 * default at 0.1 × batch/256 (the linear scaling rule), both
 * with momentum 0.9, weight decay 5e-4, a short warmup and a polynomial decay.
 * WebAssembly asks for one thread per core: Web Workers in a cross-origin-
 * isolated page (used for steps of at least 262144 parameters), else one
 * thread and a warning that names the missing headers.
 *
 * @throws BackendUnavailableError when GPU is asked for and none can run.
 */
export function buildDemoOptimizers(s: DemoSettings, onWarning: (message: string) => void): [DemoOptimizer, DemoOptimizer] {
  const common = {
    batchSize: s.batchSize,
    maxIterations: s.epochs,
    seed: s.seed,
    momentum: 0.9,
    weightDecay: 5e-4,
    warmupEpochs: Math.min(3, Math.max(0, s.epochs - 1)),
    learningRateSchedule: 'polynomial' as const,
    polynomialPower: 2,
    useEarlyStopping: false,
    backend: s.backend === 'gpu' ? ('gpu' as const) : ('cpu' as const),
    cpuThreads: s.backend === 'wasm' ? ('auto' as const) : 1,
  };
  const model = () => new MultilayerPerceptron({ layerSizes: [784, s.hidden, 10], dtype: 'float32', seed: s.seed });
  const setup = () => ({ onWarning, ...(s.backend === 'js' ? { backend: new CpuBackend() } : {}) });
  return [
    new LARSOptimizer(model(), { ...common, initialLearningRate: s.larsLearningRate, trustCoefficient: 0.001 }, setup()),
    new MomentumSGDOptimizer(model(), { ...common, initialLearningRate: s.sgdLearningRate ?? (0.1 * s.batchSize) / 256 }, setup()),
  ];
}
