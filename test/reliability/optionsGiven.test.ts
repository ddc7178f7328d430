import { expect } from 'chai';
import { LARSOptimizerOptions, OptionsValidationError, presets } from '../../src/index.js';

// Issue 11, item 8 and the options part of "clear errors": `undefined` means
// "not given", inherited properties are not options, and fromJSON never
// throws a raw SyntaxError or silently returns defaults.

describe('reliability: options given and not given (issue 11, item 8)', () => {
  it('presets.timm: an override set to undefined keeps the preset value (warmup 0, the lr of the kwargs)', () => {
    const o = presets.timm({ lr: 0.2 }, { warmupEpochs: undefined, initialLearningRate: undefined });
    expect(o.warmupEpochs).to.equal(0);
    expect(o.initialLearningRate).to.equal(0.2);
    expect(o.learningRateSchedule).to.equal('constant');
  });

  it('presets.bolts and presets.bitsandbytes: undefined overrides keep the preset values', () => {
    expect(presets.bolts({ lr: 0.5, momentum: 0.8 }, { momentum: undefined, excludeBiasFromLARS: undefined }).momentum).to.equal(0.8);
    expect(presets.bitsandbytes({ max_unorm: 0.05 }, { maxUnorm: undefined }).maxUnorm).to.equal(0.05);
  });

  it('.with({ momentum: undefined }) keeps 0.5 (not the class default 0.9)', () => {
    const o = new LARSOptimizerOptions({ momentum: 0.5, warmupEpochs: 2 });
    const p = o.with({ momentum: undefined, warmupEpochs: undefined, useNesterov: true });
    expect(p.momentum).to.equal(0.5);
    expect(p.warmupEpochs).to.equal(2);
    expect(p.useNesterov).to.equal(true);
  });

  it('does not read inherited properties (a polluted Object.prototype) as options', () => {
    const proto = Object.prototype as unknown as Record<string, unknown>;
    proto.momentum = 0.123;
    proto.warmupEpochs = 7;
    try {
      const defaults = new LARSOptimizerOptions();
      expect(defaults.momentum).to.equal(0.9);
      expect(defaults.warmupEpochs).to.not.equal(7);
      expect(new LARSOptimizerOptions({ initialLearningRate: 0.5 }).momentum).to.equal(0.9);
      expect(new LARSOptimizerOptions({ momentum: 0.5 }).with({}).momentum).to.equal(0.5);
    } finally {
      delete proto.momentum;
      delete proto.warmupEpochs;
    }
  });

  for (const [text, why] of [
    ['not json', /not valid JSON/],
    ['null', /needs an object of options, got null/],
    ['42', /got number/],
    ['[1, 2]', /got an array/],
  ] as const) {
    it(`fromJSON(${JSON.stringify(text)}) throws an OptionsValidationError`, () => {
      let error: unknown = null;
      try {
        LARSOptimizerOptions.fromJSON(text);
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(OptionsValidationError);
      expect(String((error as Error).message)).to.match(why);
    });
  }

  it('fromJSON still rebuilds options from their JSON text', () => {
    const o = new LARSOptimizerOptions({ momentum: 0.7, layerBoundaries: [3, 5] });
    expect(LARSOptimizerOptions.fromJSON(JSON.stringify(o)).toJSON()).to.deep.equal(o.toJSON());
  });
});
