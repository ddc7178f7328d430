/** Where each optimizer of the demo computes: gpu.js WebGL, WebAssembly SIMD, or plain JS loops. */
export type DemoBackend = 'gpu' | 'wasm' | 'js';

/** What one demo run trains. */
export interface DemoSettings {
  /** Where the optimizers compute. Default `'wasm'`. */
  readonly backend: DemoBackend;
  /** Examples per batch, the same for both optimizers ("large batch": a third of the training set). Default 2048. */
  readonly batchSize: number;
  /** Epochs. Default 15. */
  readonly epochs: number;
  /** Width of the hidden layer. Default 64. */
  readonly hidden: number;
  /** Training images. Default 6000. */
  readonly trainCount: number;
  /** Test images. Default 2000. */
  readonly testCount: number;
  /** Seed of the split, the initial weights and the shuffling. Default 1. */
  readonly seed: number;
  /**
   * LARS's learning rate (its trust ratio scales it per layer). Default 5: the
   * Node example's 20 makes this small network (784-64-10) jump about.
   */
  readonly larsLearningRate: number;
  /** Momentum SGD's learning rate; null for 0.1 × batch/256 (the linear scaling rule). Default null. */
  readonly sgdLearningRate: number | null;
}

/** The defaults above. */
export const DEFAULT_SETTINGS: DemoSettings = { backend: 'wasm', batchSize: 2048, epochs: 15, hidden: 64, trainCount: 6000, testCount: 2000, seed: 1, larsLearningRate: 5, sgdLearningRate: null };

/**
 * Settings from a query string (`?backend=gpu&batch=2048&epochs=5&hidden=32&train=3000&test=1000&seed=2&larsLr=10&sgdLr=0.5`),
 * the defaults for anything missing.
 *
 * @throws RangeError naming the first bad value.
 */
export function settingsFromQuery(query: URLSearchParams): DemoSettings {
  const int = (key: string, fallback: number, min: number, max: number): number => {
    const text = query.get(key);
    if (text === null || text === '') return fallback;
    const value = Number(text);
    if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(`${key} must be an integer in ${min}..${max}, got "${text}"`);
    return value;
  };
  const rate = (key: string): number | null => {
    const text = query.get(key);
    if (text === null || text === '') return null;
    const value = Number(text);
    if (!(Number.isFinite(value) && value > 0)) throw new RangeError(`${key} must be a positive number, got "${text}"`);
    return value;
  };
  const backend = query.get('backend') ?? DEFAULT_SETTINGS.backend;
  if (backend !== 'gpu' && backend !== 'wasm' && backend !== 'js') throw new RangeError(`backend must be gpu, wasm or js, got "${backend}"`);
  const testCount = int('test', DEFAULT_SETTINGS.testCount, 100, 5000);
  return {
    backend,
    batchSize: int('batch', DEFAULT_SETTINGS.batchSize, 1, 10000),
    epochs: int('epochs', DEFAULT_SETTINGS.epochs, 1, 500),
    hidden: int('hidden', DEFAULT_SETTINGS.hidden, 1, 1024),
    trainCount: int('train', DEFAULT_SETTINGS.trainCount, 100, 10000 - testCount),
    testCount,
    seed: int('seed', DEFAULT_SETTINGS.seed, 0, 2 ** 31 - 1),
    larsLearningRate: rate('larsLr') ?? DEFAULT_SETTINGS.larsLearningRate,
    sgdLearningRate: rate('sgdLr') ?? DEFAULT_SETTINGS.sgdLearningRate,
  };
}
