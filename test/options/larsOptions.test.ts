import { expect } from 'chai';
import { GradientBasedOptimizerOptions, LARSOptimizerOptions, OptimizationAlgorithmOptions, OptionsValidationError, PAPER_RULE, type LARSOptimizerOptionsInput } from '../../src/index.js';

function problemsOf(input: unknown): { path: string; message: string }[] {
  try {
    new LARSOptimizerOptions(input as LARSOptimizerOptionsInput);
  } catch (e) {
    expect(e).to.be.instanceOf(OptionsValidationError);
    return [...(e as OptionsValidationError).problems];
  }
  throw new Error(`expected ${JSON.stringify(input)} to be rejected`);
}

describe('LARSOptimizerOptions', () => {
  describe('defaults', () => {
    it('has the AiDotNet LARS defaults', () => {
      const o = new LARSOptimizerOptions();
      expect(o.initialLearningRate).to.equal(0.3);
      expect(o.momentum).to.equal(0.9);
      expect(o.weightDecay).to.equal(1e-4);
      expect(o.trustCoefficient).to.equal(0.001);
      expect(o.epsilon).to.equal(1e-8);
      expect(o.batchSize).to.equal(4096);
      expect(o.excludeBiasFromLARS).to.equal(true);
      expect(o.warmupEpochs).to.equal(10);
      expect(o.layerBoundaries).to.equal(null);
      expect(o.skipLARSLayers).to.equal(null);
      expect(o.useNesterov).to.equal(false);
    });

    it('has the bitsandbytes knobs, off by default', () => {
      const o = new LARSOptimizerOptions();
      expect(o.dampening).to.equal(0);
      expect(o.optimBits).to.equal(32);
      expect(o.min8bitSize).to.equal(4096);
      expect(o.percentileClipping).to.equal(100);
      expect(o.maxUnorm).to.equal(0);
      expect(o.rule).to.deep.equal(PAPER_RULE);
    });

    it('carries the training-loop knobs from the base levels', () => {
      const o = new LARSOptimizerOptions();
      expect(o.maxIterations).to.equal(100);
      expect(o.useEarlyStopping).to.equal(true);
      expect(o.earlyStoppingPatience).to.equal(10);
      expect(o.tolerance).to.equal(1e-6);
      expect(o.seed).to.equal(42);
      expect(o.shuffleData).to.equal(true);
      expect(o.dropLastBatch).to.equal(false);
      expect(o.useGradientClipping).to.equal(false);
      expect(o.learningRateSchedule).to.equal('polynomial');
      expect(o.polynomialPower).to.equal(2);
      expect(o.minLearningRate).to.equal(0);
      expect(o.backend).to.equal('auto');
      expect(o.cpuThreads).to.equal(1);
    });

    it('lets the parent levels keep their own defaults', () => {
      const base = new OptimizationAlgorithmOptions();
      const gradient = new GradientBasedOptimizerOptions();
      expect(base.initialLearningRate).to.equal(0.01);
      expect(base.learningRateSchedule).to.equal('constant');
      expect(gradient.batchSize).to.equal(32);
      expect(gradient.weightDecay).to.equal(0);
      expect(gradient.warmupEpochs).to.equal(0);
      expect(gradient).to.not.have.property('trustCoefficient');
    });

    it('forms a class hierarchy', () => {
      const o = new LARSOptimizerOptions();
      expect(o).to.be.instanceOf(GradientBasedOptimizerOptions);
      expect(o).to.be.instanceOf(OptimizationAlgorithmOptions);
    });
  });

  describe('validation names the field and the rule', () => {
    const cases: [string, LARSOptimizerOptionsInput | Record<string, unknown>, string, RegExp][] = [
      ['learning rate 0', { initialLearningRate: 0 }, 'initialLearningRate', /finite number > 0/],
      ['negative learning rate', { initialLearningRate: -1 }, 'initialLearningRate', /> 0/],
      ['NaN learning rate', { initialLearningRate: NaN }, 'initialLearningRate', /finite/],
      ['infinite learning rate', { initialLearningRate: Infinity }, 'initialLearningRate', /finite/],
      ['momentum 1', { momentum: 1 }, 'momentum', /\[0, 1\)/],
      ['negative momentum', { momentum: -0.1 }, 'momentum', /\[0, 1\)/],
      ['dampening above 1', { dampening: 1.5 }, 'dampening', /\[0, 1\]/],
      ['negative dampening', { dampening: -0.5 }, 'dampening', /\[0, 1\]/],
      ['negative weight decay', { weightDecay: -1e-4 }, 'weightDecay', />= 0/],
      ['negative epsilon', { epsilon: -1 }, 'epsilon', />= 0/],
      ['negative maxUnorm', { maxUnorm: -0.02 }, 'maxUnorm', />= 0/],
      ['trust coefficient 0', { trustCoefficient: 0 }, 'trustCoefficient', /> 0/],
      ['fractional batch size', { batchSize: 12.5 }, 'batchSize', /integer >= 1/],
      ['zero batch size', { batchSize: 0 }, 'batchSize', /integer >= 1/],
      ['decreasing boundaries', { layerBoundaries: [10, 5] }, 'layerBoundaries.1', /strictly increasing/],
      ['equal boundaries', { layerBoundaries: [10, 10] }, 'layerBoundaries.1', /strictly increasing/],
      ['zero boundary', { layerBoundaries: [0, 5] }, 'layerBoundaries.0', /positive integer/],
      ['fractional boundary', { layerBoundaries: [2.5] }, 'layerBoundaries.0', /positive integer/],
      ['boundaries not an array', { layerBoundaries: 5 }, 'layerBoundaries', /array/],
      ['duplicate skip index', { skipLARSLayers: [1, 1] }, 'skipLARSLayers.1', /unique/],
      ['negative skip index', { skipLARSLayers: [-1] }, 'skipLARSLayers.0', /non-negative integer/],
      ['Nesterov without momentum', { useNesterov: true, momentum: 0 }, 'useNesterov', /momentum > 0 and dampening = 0/],
      ['Nesterov with dampening', { useNesterov: true, dampening: 0.1 }, 'useNesterov', /dampening = 0/],
      ['optimBits 16', { optimBits: 16 }, 'optimBits', /8 or 32/],
      ['percentileClipping 0', { percentileClipping: 0 }, 'percentileClipping', /integer in \[1, 100\]/],
      ['percentileClipping 101', { percentileClipping: 101 }, 'percentileClipping', /integer in \[1, 100\]/],
      ['percentileClipping 50.5', { percentileClipping: 50.5 }, 'percentileClipping', /integer in \[1, 100\]/],
      ['min8bitSize 0', { min8bitSize: 0 }, 'min8bitSize', /integer >= 1/],
      ['warmup -1', { warmupEpochs: -1 }, 'warmupEpochs', /integer >= 0/],
      ['maxIterations 0', { maxIterations: 0 }, 'maxIterations', /integer >= 1/],
      ['patience 0', { earlyStoppingPatience: 0 }, 'earlyStoppingPatience', /integer >= 1/],
      ['unknown schedule', { learningRateSchedule: 'step' }, 'learningRateSchedule', /'constant', 'polynomial', 'cosine'/],
      ['min lr above lr', { initialLearningRate: 0.1, minLearningRate: 0.2 }, 'minLearningRate', /must not exceed/],
      ['maxGradientNorm 0', { maxGradientNorm: 0 }, 'maxGradientNorm', /> 0/],
      ['string boolean', { useNesterov: 'yes' }, 'useNesterov', /true or false/],
      ['unknown backend', { backend: 'cuda' }, 'backend', /'auto', 'gpu', 'cpu'/],
      ['cpuThreads 0', { cpuThreads: 0 }, 'cpuThreads', /'auto' or an integer in \[1, 256\]/],
      ['cpuThreads 1.5', { cpuThreads: 1.5 }, 'cpuThreads', /'auto' or an integer/],
      ['cpuThreads "all"', { cpuThreads: 'all' }, 'cpuThreads', /'auto' or an integer/],
      ['unknown rule field', { rule: { ...PAPER_RULE, extra: 1 } }, 'rule.extra', /unknown option/],
      ['typo learnigRate', { learnigRate: 0.1 }, 'learnigRate', /unknown option \(did you mean initialLearningRate\?\)/],
      ['unknown key', { flux: 1 }, 'flux', /unknown option$/],
    ];
    for (const [title, input, path, rule] of cases) {
      it(`rejects ${title}`, () => {
        const problems = problemsOf(input);
        const hit = problems.find((p) => p.path === path);
        expect(hit, `no problem at ${path} in ${JSON.stringify(problems)}`).to.not.equal(undefined);
        expect(hit!.message).to.match(rule);
      });
    }

    it('reports every problem at once in one error that keeps the zod issues', () => {
      let error: OptionsValidationError | undefined;
      try {
        new LARSOptimizerOptions({ momentum: 2, batchSize: -1, learnigRate: 1 } as LARSOptimizerOptionsInput);
      } catch (e) {
        error = e as OptionsValidationError;
      }
      expect(error).to.be.instanceOf(OptionsValidationError);
      expect(error!.problems.map((p) => p.path).sort()).to.deep.equal(['batchSize', 'learnigRate', 'momentum']);
      expect(error!.issues.length).to.equal(3);
      expect(error!.optionsClass).to.equal('LARSOptimizerOptions');
      expect(error!.message).to.match(/3 problems/).and.match(/momentum: .*\(got 2\)/).and.match(/learnigRate/);
    });

    it('accepts valid edge values', () => {
      expect(() => new LARSOptimizerOptions({ momentum: 0, dampening: 1, epsilon: 0, weightDecay: 0, percentileClipping: 1 })).to.not.throw();
      expect(() => new LARSOptimizerOptions({ optimBits: 8, layerBoundaries: [1, 2, 3], skipLARSLayers: [0, 2] })).to.not.throw();
    });
  });

  describe('immutability and variants', () => {
    it('is frozen, arrays and rule included', () => {
      const o = new LARSOptimizerOptions({ layerBoundaries: [4, 8] });
      expect(Object.isFrozen(o)).to.equal(true);
      expect(() => {
        (o as { momentum: number }).momentum = 0.5;
      }).to.throw(TypeError);
      expect(() => (o.layerBoundaries as number[]).push(12)).to.throw(TypeError);
      expect(Object.isFrozen(o.rule)).to.equal(true);
    });

    it('derives validated variants with with() and leaves the original alone', () => {
      const o = new LARSOptimizerOptions({ initialLearningRate: 1 });
      const v = o.with({ useNesterov: true });
      expect(v).to.be.instanceOf(LARSOptimizerOptions);
      expect(v.useNesterov).to.equal(true);
      expect(v.initialLearningRate).to.equal(1);
      expect(o.useNesterov).to.equal(false);
      expect(() => o.with({ momentum: 3 })).to.throw(OptionsValidationError, /momentum/);
    });

    it('keeps the class of the level it is called on', () => {
      const g = new GradientBasedOptimizerOptions({ batchSize: 64 }).with({ momentum: 0.5 });
      expect(g).to.be.instanceOf(GradientBasedOptimizerOptions);
      expect(g).to.not.be.instanceOf(LARSOptimizerOptions);
      expect(() => g.with({ trustCoefficient: 0.1 } as never)).to.throw(OptionsValidationError, /trustCoefficient: unknown option/);
    });
  });

  describe('JSON', () => {
    it('round-trips through toJSON / fromJSON, as text and as an object', () => {
      const o = new LARSOptimizerOptions({ layerBoundaries: [3, 7], skipLARSLayers: [1], optimBits: 8, useNesterov: true });
      const text = JSON.stringify(o);
      const back = LARSOptimizerOptions.fromJSON(text);
      expect(back).to.be.instanceOf(LARSOptimizerOptions);
      expect(back.toJSON()).to.deep.equal(o.toJSON());
      expect(LARSOptimizerOptions.fromJSON(o.toJSON()).toJSON()).to.deep.equal(o.toJSON());
      expect(JSON.parse(text)).to.deep.equal(o.toJSON());
    });

    it('gives toJSON a plain, unfrozen copy', () => {
      const json = new LARSOptimizerOptions({ layerBoundaries: [3] }).toJSON();
      expect(Object.isFrozen(json)).to.equal(false);
      json.layerBoundaries!.push(9);
      expect(json.layerBoundaries).to.deep.equal([3, 9]);
    });

    it('validates JSON on the way in', () => {
      expect(() => LARSOptimizerOptions.fromJSON('{"momentum": 7}')).to.throw(OptionsValidationError, /momentum/);
    });

    it('exports a JSON Schema with defaults and no extra keys', () => {
      const schema = LARSOptimizerOptions.jsonSchema() as {
        type: string;
        additionalProperties: boolean;
        properties: Record<string, { default?: unknown }>;
      };
      expect(schema.type).to.equal('object');
      expect(schema.additionalProperties).to.equal(false);
      expect(schema.properties.trustCoefficient.default).to.equal(0.001);
      expect(schema.properties.initialLearningRate.default).to.equal(0.3);
      expect(Object.keys(schema.properties)).to.include.members(['maxUnorm', 'optimBits', 'layerBoundaries', 'rule']);
      const base = OptimizationAlgorithmOptions.jsonSchema() as { properties: Record<string, { default?: unknown }> };
      expect(base.properties.initialLearningRate.default).to.equal(0.01);
      expect(base.properties).to.not.have.property('trustCoefficient');
    });
  });
});
