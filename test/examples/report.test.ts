import { expect } from 'chai';
import { compareTable } from '../../examples/mnist/compareTable.js';
import { plotRuns } from '../../examples/mnist/plotRun.js';
import { formatEpochLine } from '../../examples/mnist/progressDisplay.js';
import type { RunRecord } from '../../examples/mnist/runOptimizer.js';
import { type EpochRecord, type StopReason } from '../../src/index.js';

function epoch(e: number, loss: number, acc: number): EpochRecord {
  return { epoch: e, trainLoss: loss, trainAccuracy: null, validationLoss: null, validationAccuracy: null, testLoss: loss, testAccuracy: acc, learningRate: 0.5, steps: e * 2, milliseconds: 1500 };
}

function run(optimizer: 'lars' | 'sgd', stop: StopReason, acc: number): RunRecord {
  const history = [epoch(1, 2, 0.5), epoch(2, 1, acc)];
  return {
    settings: { optimizer, batchSize: 4096, epochs: 2, lr: null, seed: 1, backend: 'cpu', hidden: [128] },
    options: { initialLearningRate: optimizer === 'lars' ? 20 : 1.6 },
    backend: 'cpu',
    result: { stopReason: stop, stopMessage: '', epochsRun: 2, bestEpoch: 2, bestValidationLoss: 1, monitored: 'train', history, steps: 4, elapsedMilliseconds: 3000 },
    finalTestAccuracy: acc,
    bestTestEpoch: 2,
  };
}

describe('mnist example: reports', () => {
  it('the comparison table shows accuracy, best epoch and divergence per run', () => {
    const table = compareTable([run('sgd', 'non-finite-loss', 0.1), run('lars', 'max-epochs', 0.9412)]);
    const lines = table.split('\n');
    expect(lines).to.have.length(4);
    expect(lines[2]).to.match(/\| sgd .*\| 4096 .*\| 1\.6 .*\| 10\.00% .*\| 2 .*\| yes /);
    expect(lines[3]).to.match(/\| lars .*\| 20 .*\| 94\.12% .*\| no /);
  });

  it('an epoch line holds loss, accuracy, lr and time', () => {
    expect(formatEpochLine('lars@4096', epoch(3, 0.12345, 0.9321), 10)).to.equal(
      'lars@4096 epoch  3/10  loss 0.1235  test acc 93.21%  lr 0.500  1.50 s',
    );
  });

  it('the plot is an SVG with both panels and a line per run', async () => {
    const svg = await plotRuns([run('sgd', 'max-epochs', 0.8), run('lars', 'max-epochs', 0.9)]);
    expect(svg.startsWith('<svg')).to.equal(true);
    expect(svg).to.include('training loss');
    expect(svg).to.include('test accuracy');
    expect(svg).to.include('lars b=4096');
    expect(svg).to.include('sgd b=4096');
    expect((svg.match(/class="mark-line role-mark/g) ?? []).length).to.equal(4); // 2 panels × 2 runs
  });
});
