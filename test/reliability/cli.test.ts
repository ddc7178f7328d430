import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type EpochRecord, type OptimizationResult } from '../../src/index.js';
import { formatFinalLine } from '../../examples/mnist/finalLine.js';
import { FlagError, parseFlags } from '../../examples/mnist/parseFlags.js';
import type { RunRecord } from '../../examples/mnist/runOptimizer.js';

// Issue 11, "clear errors", the command line of the MNIST example.

function epoch(n: number, testAccuracy: number): EpochRecord {
  return { epoch: n, trainLoss: 1 / n, trainAccuracy: null, validationLoss: null, validationAccuracy: null, testLoss: 0.5, testAccuracy, learningRate: 0.1, steps: 10 * n, milliseconds: 5 };
}

describe('reliability: the MNIST command line (issue 11, clear errors)', function () {
  this.timeout(30_000);

  it('--epoch 5 suggests --epochs', () => {
    expect(() => parseFlags(['--epoch', '5'])).to.throw(FlagError, /Unknown option '--epoch'.*did you mean --epochs\?/);
    expect(() => parseFlags(['--bach-size', '5'])).to.throw(FlagError, /did you mean --batch-size\?/);
  });

  it('--batch-size -5 says what is wrong with the value; --seed -3 is a seed', () => {
    expect(() => parseFlags(['--batch-size', '-5'])).to.throw(FlagError, /^--batch-size must be at least 1, got -5$/);
    expect(() => parseFlags(['--epochs', '-1'])).to.throw(FlagError, /^--epochs must be at least 1, got -1$/);
    expect(parseFlags(['--seed', '-3']).seed).to.equal(-3);
  });

  it('npm start -- --help answers from the sources, without building anything', () => {
    const script = fileURLToPath(new URL('../../../scripts/start.mjs', import.meta.url));
    const run = spawnSync(process.execPath, [script, '--help'], { encoding: 'utf8', timeout: 20_000 });
    expect(run.status).to.equal(0);
    expect(run.stdout).to.match(/^Train a 784-128-10 perceptron/);
    expect(run.stdout).to.match(/--epochs N/);
    expect(run.stdout + run.stderr).to.not.match(/build-wasm|build:all|tsc/);
  });

  it("the final line says which epoch's parameters the reported test accuracy belongs to", () => {
    const result: OptimizationResult = {
      stopReason: 'max-epochs', stopMessage: 'ran all 5 epochs', epochsRun: 5, bestEpoch: 3, bestValidationLoss: 0.2,
      monitored: 'train', history: [1, 2, 3, 4, 5].map((n) => epoch(n, [0.8, 0.9, 0.91, 0.93, 0.92][n - 1])), steps: 50, elapsedMilliseconds: 1234,
    };
    const record = { settings: {}, options: {}, backend: 'wasm-simd', result, finalTestAccuracy: 0.91, bestTestEpoch: 4 } as unknown as RunRecord;
    expect(formatFinalLine('lars@4096', record)).to.equal(
      'lars@4096: stopped (max-epochs: ran all 5 epochs); test accuracy 91.00% with the parameters of epoch 3 of 5 (lowest training loss); ' +
        'best test accuracy 93.00% at epoch 4; 1.2 s on backend wasm-simd',
    );
    expect(formatFinalLine('sgd@256', { ...record, result: { ...result, bestEpoch: 0 } } as RunRecord)).to.match(/with the starting parameters/);
  });
});
