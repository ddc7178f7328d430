import { expect } from 'chai';
import { LARSOptimizer, Matrix, MultilayerPerceptron, oneHot, SoftmaxRegression, type NumericType } from '../../src/index.js';
import { allocateArray, type ArrayFor } from '../../src/numeric/NumericType.js';
import { DenseThreads } from '../../src/models/wasm/DenseThreads.js';
import { WasmPerceptronPass } from '../../src/models/wasm/WasmPerceptronPass.js';
import { SeededRandom } from '../../src/util/SeededRandom.js';

// The perceptron's dense products with their rows split over worker threads
// against the same products on one thread. Each output row is computed by
// one kernel call with the same operations either way, so everything must
// agree bit for bit (Object.is on every element), for float32 and float64.

function randomArray<T extends NumericType>(dtype: T, length: number, rng: SeededRandom, zeros = 0.3): ArrayFor<T> {
  const a = allocateArray(dtype, length);
  for (let i = 0; i < length; i++) a[i] = rng.next() < zeros ? 0 : rng.nextNormal();
  return a;
}

function expectSameBits(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  expect(a.length, `${what} length`).to.equal(b.length);
  let differ = 0;
  let first = -1;
  for (let i = 0; i < a.length; i++) {
    if (!Object.is(a[i], b[i])) {
      differ++;
      if (first < 0) first = i;
    }
  }
  expect(differ, `${what}: ${differ} element(s) differ, first [${first}] ${a[first]} vs ${b[first]}`).to.equal(0);
}

interface PassResult {
  logits: number[];
  weightGradients: number[][];
  biasGradients: number[][];
}

/** One forward and backward pass with fixed weights, input and logit gradient drawn from `seed`. */
function runPass<T extends NumericType>(pass: WasmPerceptronPass<T>, sizes: number[], dtype: T, n: number, seed: number): PassResult {
  const rng = new SeededRandom(seed);
  const L = sizes.length - 1;
  const weights = Array.from({ length: L }, (_, l) => randomArray(dtype, sizes[l] * sizes[l + 1], rng, 0));
  const biases = Array.from({ length: L }, (_, l) => randomArray(dtype, sizes[l + 1], rng, 0));
  const input = randomArray(dtype, n * sizes[0], rng);
  const logits = Array.from(pass.forward(input, n, weights, biases));
  pass.logitGradient().set(randomArray(dtype, n * sizes[L], rng, 0.1));
  const weightGradients = weights.map((w) => allocateArray(dtype, w.length));
  const biasGradients = biases.map((b) => allocateArray(dtype, b.length));
  pass.backward(weightGradients, biasGradients);
  return { logits, weightGradients: weightGradients.map((g) => Array.from(g)), biasGradients: biasGradients.map((g) => Array.from(g)) };
}

function expectSameResult(a: PassResult, b: PassResult, what: string): void {
  expectSameBits(a.logits, b.logits, `${what} logits`);
  a.weightGradients.forEach((g, l) => expectSameBits(g, b.weightGradients[l], `${what} weight gradient ${l}`));
  a.biasGradients.forEach((g, l) => expectSameBits(g, b.biasGradients[l], `${what} bias gradient ${l}`));
}

/** A threaded pass whose workers have started and enter every product (so even tiny ones are split). */
async function threadedPass<T extends NumericType>(
  sizes: number[], dtype: T, threads: number, extra: { onWarning?: (m: string) => void; stallMs?: number } = {},
): Promise<WasmPerceptronPass<T>> {
  const pass = WasmPerceptronPass.create(sizes, dtype, { threads, threadOptions: { minWork: 0, awaitWorkers: true, ...extra } })!;
  runPass(pass, sizes, dtype, 1, 0); // starts the workers
  expect(pass.threads, 'worker threads started').to.not.equal(null);
  expect(await pass.threads!.ready()).to.equal(true);
  return pass;
}

describe('dense products on worker threads: bit-identical to one thread', function () {
  this.timeout(60000);

  for (const dtype of ['float32', 'float64'] as const) {
    for (const threads of [2, 3]) {
      it(`${dtype}, ${threads} threads: forward and backward over ragged widths, batches not divisible by the thread count, and a batch smaller than it`, async () => {
        const sizes = [37, 45, 33, 11];
        const one = WasmPerceptronPass.create(sizes, dtype)!;
        const many = await threadedPass(sizes, dtype, threads);
        try {
          const rowsBefore = many.threads!.workerRows();
          for (const [n, seed] of [[1, 1], [2, 2], [13, 3], [301, 4], [97, 5]]) {
            expectSameResult(runPass(many, sizes, dtype, n, seed), runPass(one, sizes, dtype, n, seed), `${n} rows`);
          }
          expect(many.threads!.workers).to.equal(threads - 1);
          expect(many.threads!.workerRows(), 'rows the workers computed').to.be.greaterThan(rowsBefore);
        } finally {
          many.dispose();
        }
      });
    }
  }

  it('a wide first layer (784 inputs, mostly zero) as in the MNIST job, float32', async () => {
    const sizes = [784, 128, 10];
    const one = WasmPerceptronPass.create(sizes, 'float32')!;
    const many = await threadedPass(sizes, 'float32', 2);
    try {
      expectSameResult(runPass(many, sizes, 'float32', 517, 9), runPass(one, sizes, 'float32', 517, 9), '517 rows');
    } finally {
      many.dispose();
    }
  });

  it('a worker that throws inside a product: results stay exact, one warning, later products on the calling thread', async () => {
    const sizes = [23, 40, 7];
    const warnings: string[] = [];
    const one = WasmPerceptronPass.create(sizes, 'float64')!;
    const many = await threadedPass(sizes, 'float64', 2, { onWarning: (m) => warnings.push(m) });
    try {
      many.threads!.failWorkerAfter(8);
      expectSameResult(runPass(many, sizes, 'float64', 211, 5), runPass(one, sizes, 'float64', 211, 5), 'with a failure');
      expect(warnings).to.have.length(1);
      expect(warnings[0]).to.match(/dense worker thread 0 failed inside a dense product; the calling thread computed the \d+ block/);
      expect(many.threads!.workers).to.equal(0);
      expectSameResult(runPass(many, sizes, 'float64', 150, 6), runPass(one, sizes, 'float64', 150, 6), 'after the failure');
      expect(warnings).to.have.length(1);
      await many.threads!.exited();
    } finally {
      many.dispose();
    }
  });

  it('a worker that exits between products: one warning at the next product, results exact', async () => {
    const sizes = [21, 35, 6];
    const warnings: string[] = [];
    const one = WasmPerceptronPass.create(sizes, 'float32')!;
    const many = await threadedPass(sizes, 'float32', 2, { onWarning: (m) => warnings.push(m) });
    try {
      // as if the worker thread were killed from outside (the pool's own handle, reached past `private`)
      await many.threads!['workerList'][0].terminate();
      await many.threads!.exited();
      expect(many.threads!.workers).to.equal(0);
      expectSameResult(runPass(many, sizes, 'float32', 120, 8), runPass(one, sizes, 'float32', 120, 8), 'after the exit');
      expectSameResult(runPass(many, sizes, 'float32', 90, 9), runPass(one, sizes, 'float32', 90, 9), 'later');
      expect(warnings).to.have.length(1);
      expect(warnings[0]).to.match(/dense worker thread 0 exited between products/);
    } finally {
      many.dispose();
    }
  });

  it('a worker that stalls inside a product is dropped after stallMs: results stay exact, one warning', async () => {
    const sizes = [19, 30, 5];
    const warnings: string[] = [];
    const one = WasmPerceptronPass.create(sizes, 'float32')!;
    const many = await threadedPass(sizes, 'float32', 2, { onWarning: (m) => warnings.push(m), stallMs: 300 });
    try {
      many.threads!.failWorkerAfter(4, true);
      expectSameResult(runPass(many, sizes, 'float32', 180, 7), runPass(one, sizes, 'float32', 180, 7), 'with a stall');
      expect(warnings).to.have.length(1);
      expect(warnings[0]).to.match(/dense worker thread 0 stalled for 300 ms/);
      expect(many.threads!.workers).to.equal(0);
      await many.threads!.exited();
    } finally {
      many.dispose();
    }
  });
});

/** n rows of `features` features (a third zero) in 4 classes from a fixed rule. */
function data<T extends NumericType>(n: number, dtype: T, features = 12): { x: Matrix<T>; y: Matrix<T> } {
  const rng = new SeededRandom(11);
  const x = Matrix.zeros(n, features, dtype);
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < features; j++) x.data[features * i + j] = rng.next() < 0.33 ? 0 : rng.nextNormal();
    labels.push((x.data[features * i] > 0 ? 1 : 0) + (x.data[features * i + 1] > 0 ? 2 : 0));
  }
  return { x, y: oneHot(labels, 4, dtype) };
}

describe('MultilayerPerceptron threads option', function () {
  this.timeout(60000);

  for (const dtype of ['float32', 'float64'] as const) {
    it(`${dtype}: a few epochs of LARS training with threads: 2 give the same parameters bit for bit as threads: 1`, async () => {
      // big enough that the first layer's products go to the threads (DenseThreadOptions.minWork)
      const { x, y } = data(1100, dtype, 300);
      const options = { initialLearningRate: 1, trustCoefficient: 0.01, batchSize: 512, maxIterations: 3, warmupEpochs: 1 };
      const train = async (threads: number) => {
        const model = new MultilayerPerceptron({ layerSizes: [300, 128, 4], dtype, seed: 5, threads });
        model.computeLoss(x, y); // starts the workers
        const pool = model['wasmPass']?.threads ?? null;
        if (pool !== null) expect(await pool.ready()).to.equal(true);
        const rows0 = pool?.workerRows() ?? 0;
        await new LARSOptimizer(model, options).optimize({ xTrain: x, yTrain: y });
        const parameters = Array.from(model.getParameters().data);
        const workers = model.workerThreads;
        const workerRows = (pool?.workerRows() ?? 0) - rows0;
        model.dispose();
        return { parameters, workers, workerRows };
      };
      const a = await train(1);
      const b = await train(2);
      expect(a.workers).to.equal(0);
      expect(b.workers).to.equal(1);
      expect(b.workerRows, 'rows the worker computed during training').to.be.greaterThan(0);
      expectSameBits(b.parameters, a.parameters, 'trained parameters');
    });
  }

  it('softmax regression takes threads too, and dispose() stops the workers (the model keeps working)', () => {
    const { x, y } = data(300, 'float64');
    const one = new SoftmaxRegression({ inputs: 12, classes: 4, dtype: 'float64', seed: 2 });
    const two = new SoftmaxRegression({ inputs: 12, classes: 4, dtype: 'float64', seed: 2, threads: 2 });
    expectSameBits(two.computeGradients(x, y).gradient.data, one.computeGradients(x, y).gradient.data, 'gradient');
    expect(two.workerThreads).to.equal(1);
    expect(two.deepCopy().threads).to.equal(2);
    two.dispose();
    two.dispose();
    expect(two.workerThreads).to.equal(0);
    expectSameBits(two.computeGradients(x, y).gradient.data, one.computeGradients(x, y).gradient.data, 'gradient after dispose');
  });

  it("threads: 'auto' takes one thread per core", () => {
    const model = new MultilayerPerceptron({ layerSizes: [3, 2], dtype: 'float32', threads: 'auto' });
    model.computeLoss(Matrix.zeros(4, 3, 'float32'), oneHot([0, 1, 0, 1], 2, 'float32'));
    expect(model.threads).to.equal('auto');
    expect(model.workerThreads).to.equal(DenseThreads.cores() - 1);
    model.dispose();
  });

  it('rejects bad threads values with a clear error', () => {
    for (const threads of [0, -1, 1.5, Number.NaN, Infinity, '2', 'all', null]) {
      expect(() => new MultilayerPerceptron({ layerSizes: [3, 2], dtype: 'float32', threads: threads as never }), String(threads)).to.throw(
        RangeError,
        /threads must be a whole number ≥ 1 or 'auto'/,
      );
    }
    expect(() => new MultilayerPerceptron({ layerSizes: [3, 2], dtype: 'float32', kernels: 'js', threads: 2 })).to.throw(RangeError, /kernels 'js'/);
    expect(() => new MultilayerPerceptron({ layerSizes: [3, 4, 2], dtype: 'float32', layerNorm: true, threads: 2 })).to.throw(RangeError, /layer norm/);
    expect(() => new SoftmaxRegression({ inputs: 3, classes: 2, dtype: 'float32', threads: 0 })).to.throw(RangeError, /threads/);
  });
});
