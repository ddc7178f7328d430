// The README's quickstart, compiled and run by the test suite so that it stays true.
import { LARSOptimizer, LARSOptimizerOptions, Vector, type ParameterLayout } from '../src/index.js';

/** Builds an optimizer, steps it, saves and resumes; returns what a reader would look at. */
export function quickstart() {
  // 1. Options: a plain partial object; defaults fill in the rest; all validated at once.
  const options = new LARSOptimizerOptions({
    initialLearningRate: 1.0,
    trustCoefficient: 0.001,
    warmupEpochs: 5,
    stepsPerEpoch: 100, // lets warmup and the schedule count epochs when you step by hand
  });

  // 2. The optimizer over one flat parameter vector. The layout names the tensors,
  //    so LARS knows the layers and which are biases (excluded by default).
  const layout: ParameterLayout = [
    { name: 'dense.weight', size: 784 * 128, kind: 'weight' },
    { name: 'dense.bias', size: 128, kind: 'bias' },
  ];
  const optimizer = new LARSOptimizer(null, options, { layout });

  // 3. Step it. Vectors wrap typed arrays without copying (Vector.of infers the type: Vector<'float32'>).
  const params = Vector.of(new Float32Array(784 * 128 + 128).fill(0.01));
  const grads = Vector.of(new Float32Array(784 * 128 + 128).fill(0.001));
  optimizer.step(params, grads); // in place
  const next = optimizer.updateParameters(params, grads); // returns a new vector

  // 4. Save, and resume bit-identically in a fresh optimizer.
  const saved = JSON.stringify(optimizer.saveState());
  const resumed = new LARSOptimizer(null, options, { layout });
  resumed.loadState(JSON.parse(saved));
  return { params, next, optimizer, resumed };
}
