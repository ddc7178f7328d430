import { expect } from 'chai';
import { LARSOptimizer, LinearRegression, Matrix, MultilayerPerceptron, oneHot, Vector, type NumericType } from '../../src/index.js';
import { CpuBackend } from '../../src/backends/js/CpuBackend.js';
import { WasmBackend } from '../../src/backends/wasm/WasmBackend.js';
import { SeededRandom } from '../../src/util/SeededRandom.js';

/** n rows of 4 features in 3 classes, labels from a fixed linear rule. */
function classes<T extends NumericType>(n: number, dtype: T): { x: Matrix<T>; y: Matrix<T> } {
  const rng = new SeededRandom(7);
  const x = Matrix.zeros(n, 4, dtype);
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < 4; j++) x.data[4 * i + j] = rng.nextNormal();
    const a = x.data[4 * i] + x.data[4 * i + 1];
    labels.push(a > 0.5 ? 0 : a < -0.5 ? 1 : 2);
  }
  return { x, y: oneHot(labels, 3, dtype) };
}

const OPTIONS = { initialLearningRate: 2, trustCoefficient: 0.01, batchSize: 32, maxIterations: 4, warmupEpochs: 1 };

/** Trains a fresh MLP with LARS on `backend`; `adopt` false hides the model's adoptStorage hook. */
async function train(backend: CpuBackend | WasmBackend, adopt: boolean): Promise<MultilayerPerceptron<'float32'>> {
  const model = new MultilayerPerceptron({ layerSizes: [4, 16, 3], dtype: 'float32', layerNorm: true, seed: 3 });
  if (!adopt) Object.defineProperty(model, 'adoptStorage', { value: undefined });
  const { x, y } = classes(200, 'float32');
  await new LARSOptimizer(model, OPTIONS, { backend }).optimize({ xTrain: x, yTrain: y });
  return model;
}

describe('zero-copy training: models adopt the optimizer’s WebAssembly memory', () => {
  it('optimize() moves an MLP’s parameters into WebAssembly memory and trains bit-identically to copying', async () => {
    const placed = WasmBackend.create()!;
    const copied = WasmBackend.create()!;
    expect(placed.placesVectors).to.equal(true);
    const a = await train(placed, true);
    const b = await train(copied, false);
    expect(placed.heap.addressOf(a.getParameters().data)).to.not.equal(null);
    expect(copied.heap.addressOf(b.getParameters().data)).to.equal(null);
    expect(Buffer.from(a.getParameters().data.buffer, a.getParameters().data.byteOffset, a.getParameters().data.byteLength).equals(
      Buffer.from(b.getParameters().data.buffer, b.getParameters().data.byteOffset, b.getParameters().data.byteLength),
    )).to.equal(true);
    expect(a.getParameters().data.some((v, i) => v !== new MultilayerPerceptron({ layerSizes: [4, 16, 3], dtype: 'float32', layerNorm: true, seed: 3 }).getParameters().data[i])).to.equal(true);
  });

  it('a second optimize() with the same optimizer leaves the storage where it is', async () => {
    const backend = WasmBackend.create()!;
    const model = new MultilayerPerceptron({ layerSizes: [4, 8, 3], dtype: 'float32', seed: 2 });
    const { x, y } = classes(64, 'float32');
    const warnings: string[] = [];
    const opt = new LARSOptimizer(model, { ...OPTIONS, maxIterations: 1 }, { backend, onWarning: (m) => warnings.push(m) });
    await opt.optimize({ xTrain: x, yTrain: y });
    const first = model.getParameters();
    expect(warnings).to.deep.equal([]);
    await opt.optimize({ xTrain: x, yTrain: y });
    expect(model.getParameters()).to.equal(first);
    // The second run continues the one-epoch schedule past its end, and says so once.
    expect(warnings).to.have.length(1);
    expect(warnings[0]).to.match(/past the end of the .* schedule/);
    expect(backend.heap.addressOf(first.data)).to.not.equal(null);
    const other = new LARSOptimizer(model, OPTIONS, { backend: WasmBackend.create()! });
    await other.optimize({ xTrain: x, yTrain: y });
    expect(model.getParameters()).to.not.equal(first);
  });

  it('after adoption, computeGradients reuses one gradient vector in WebAssembly memory with the same values', () => {
    const backend = WasmBackend.create()!;
    const { x, y } = classes(50, 'float64');
    const model = new MultilayerPerceptron({ layerSizes: [4, 8, 3], dtype: 'float64', seed: 5 });
    const fresh = new MultilayerPerceptron({ layerSizes: [4, 8, 3], dtype: 'float64', seed: 5 });
    model.adoptStorage((n, dtype) => backend.allocateVector(n, dtype));
    expect(Array.from(model.getParameters().data)).to.deep.equal(Array.from(fresh.getParameters().data));
    const first = model.computeGradients(x, y).gradient;
    const expected = fresh.computeGradients(x, y).gradient;
    expect(backend.heap.addressOf(first.data)).to.not.equal(null);
    expect(Array.from(first.data)).to.deep.equal(Array.from(expected.data));
    const second = model.computeGradients(new Matrix(x.rows, x.cols, x.data.map((v) => 2 * v)), y).gradient;
    expect(second).to.equal(first);
    expect(Array.from(second.data)).to.not.deep.equal(Array.from(expected.data));
  });

  it('LinearRegression adopts too, and its accumulated gradient starts from zero every call', () => {
    const backend = WasmBackend.create()!;
    const x = Matrix.fromRows([[1, 2], [3, 4], [5, 6]], 'float64');
    const y = Vector.from([1, 2, 3], 'float64');
    const model = new LinearRegression({ inputs: 2, dtype: 'float64' });
    const fresh = new LinearRegression({ inputs: 2, dtype: 'float64' });
    model.adoptStorage((n, dtype) => backend.allocateVector(n, dtype));
    const expected = Array.from(fresh.computeGradients(x, y).gradient.data);
    model.computeGradients(x, y);
    expect(Array.from(model.computeGradients(x, y).gradient.data)).to.deep.equal(expected);
    expect(backend.heap.addressOf(model.getParameters().data)).to.not.equal(null);
  });

  it('the plain JS backend has no memory of its own: the model keeps its arrays', async () => {
    const cpu = new CpuBackend();
    const opt = new LARSOptimizer(null, OPTIONS, { backend: cpu });
    expect(opt.placesVectors).to.equal(false);
    const model = await train(cpu, true);
    expect(model.getParameters().data.buffer).to.be.instanceOf(ArrayBuffer);
  });

  it('an ordinary-memory WebAssembly backend does not place vectors', () => {
    const plain = WasmBackend.create(false)!;
    expect(plain.placesVectors).to.equal(false);
    expect(new LARSOptimizer(null, OPTIONS, { backend: plain }).placesVectors).to.equal(false);
  });
});
