import { expect } from 'chai';
import { FlagError, parseFlags } from '../../examples/mnist/parseFlags.js';

describe('mnist example: parseFlags', () => {
  it('gives the defaults: LARS at batch 4096', () => {
    const f = parseFlags([]);
    expect([f.optimizer, f.batchSize, f.epochs, f.lr, f.seed, f.backend, f.out, f.compare, f.batchSizes, f.help]).to.deep.equal([
      'lars', 4096, 100, null, 1, 'cpu', 'runs', false, null, false,
    ]);
    expect(f.hidden).to.deep.equal([128]);
    expect(f.threads).to.equal(1);
  });

  it('reads every flag', () => {
    const f = parseFlags(['--optimizer', 'sgd', '--batch-size', '256', '--epochs', '7', '--lr', '0.5', '--seed=-3',
      '--backend', 'auto', '--out', 'x/y', '--compare', '--batch-sizes', '256,1024', '--hidden', '64,32', '--threads', '2', '--help']);
    expect(f).to.deep.equal({
      optimizer: 'sgd', batchSize: 256, epochs: 7, lr: 0.5, seed: -3, backend: 'auto', out: 'x/y',
      hidden: [64, 32], threads: 2, compare: true, batchSizes: [256, 1024], help: true,
    });
  });

  it("reads --threads auto", () => {
    expect(parseFlags(['--threads', 'auto']).threads).to.equal('auto');
  });

  for (const [argv, message] of [
    [['--optimizer', 'adam'], /--optimizer must be lars or sgd, got 'adam'/],
    [['--batch-size', '0'], /--batch-size must be at least 1/],
    [['--epochs', '2.5'], /--epochs must be an integer/],
    [['--lr=-1'], /--lr must be a positive number/],
    [['--backend', 'tpu'], /--backend must be auto, gpu or cpu/],
    [['--batch-sizes', '256,,1024'], /--batch-sizes must be an integer/],
    [['--threads', '0'], /--threads must be at least 1/],
    [['--threads', 'many'], /--threads must be an integer/],
    [['--frobnicate'], /Unknown option '--frobnicate'/],
    [['stray'], /positional/i],
  ] as const) {
    it(`rejects ${argv.join(' ')}`, () => {
      expect(() => parseFlags([...argv])).to.throw(FlagError, message);
    });
  }
});
