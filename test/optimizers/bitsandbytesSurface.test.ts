import { expect } from 'chai';
import { BITSANDBYTES_RULE, LARS, LARS32bit, LARS8bit, LARSOptimizer, OptionsValidationError, presets, Vector, type ParameterLayout } from '../../src/index.js';
import { normal, normalFloat32 } from '../support/random.js';

const LAYOUT: ParameterLayout = [
  { name: 'w', size: 5000, kind: 'weight' },
  { name: 'b', size: 10, kind: 'bias' },
];
const N = 5010;

function run(opt: LARSOptimizer, steps = 5, seed = 1): Float32Array {
  const rnd = normal(seed);
  const w = Vector.from(normalFloat32(N, rnd, 0.1), 'float32');
  for (let s = 0; s < steps; s++) opt.step(w, Vector.from(normalFloat32(N, rnd, 0.01), 'float32'));
  return w.data as Float32Array;
}

describe('bitsandbytes surface: LARS, LARS8bit, LARS32bit', () => {
  it('uses bitsandbytes’ documented defaults', () => {
    const o = new LARS(LAYOUT, { lr: 0.5 }).options;
    expect(o.initialLearningRate).to.equal(0.5);
    expect(o.momentum).to.equal(0);
    expect(o.dampening).to.equal(0);
    expect(o.weightDecay).to.equal(0);
    expect(o.useNesterov).to.equal(false);
    expect(o.optimBits).to.equal(32);
    expect(o.min8bitSize).to.equal(4096);
    expect(o.percentileClipping).to.equal(100);
    expect(o.maxUnorm).to.equal(0.02);
    expect(o.rule).to.deep.equal(BITSANDBYTES_RULE);
    expect(o.warmupEpochs).to.equal(0);
    expect(o.learningRateSchedule).to.equal('constant');
    expect(new LARS8bit(LAYOUT, { lr: 0.5 }).options.optimBits).to.equal(8);
    expect(new LARS32bit(LAYOUT, { lr: 0.5 }).options.optimBits).to.equal(32);
  });

  it('lr is required, optim_bits must be 8 or 32, unknown keywords are named', () => {
    expect(() => new LARS(LAYOUT, {} as { lr: number })).to.throw(OptionsValidationError, /lr/);
    expect(() => new LARS(LAYOUT, { lr: 1, optim_bits: 16 as 8 })).to.throw(OptionsValidationError, /optim_bits: must be 8 or 32/);
    expect(() => new LARS(LAYOUT, { lr: 1, args: { optim_bits: 4 as 8 } })).to.throw(OptionsValidationError, /must be 8 or 32/);
    expect(() => new LARS(LAYOUT, { lr: 1, weight_decai: 0.1 } as { lr: number })).to.throw(/did you mean weight_decay/);
  });

  it('LARS8bit refuses 32-bit state and LARS32bit refuses 8-bit, however asked', () => {
    expect(() => new LARS8bit(LAYOUT, { lr: 1, optim_bits: 32 } as { lr: number })).to.throw(OptionsValidationError, /LARS8bit always keeps 8-bit/);
    expect(() => new LARS8bit(LAYOUT, { lr: 1, args: { optim_bits: 32 } })).to.throw(/LARS8bit/);
    expect(() => new LARS8bit(LAYOUT, { lr: 1 }, { optimBits: 32 })).to.throw(/LARS8bit/);
    expect(() => new LARS32bit(LAYOUT, { lr: 1 }, { optimBits: 8 })).to.throw(/LARS32bit always keeps 32-bit/);
  });

  it('args overrides the keywords field by field', () => {
    const o = new LARS(LAYOUT, { lr: 1, optim_bits: 32, max_unorm: 0.5, args: { optim_bits: 8, min_8bit_size: 100 } }).options;
    expect(o.optimBits).to.equal(8);
    expect(o.min8bitSize).to.equal(100);
    expect(o.maxUnorm).to.equal(0.5);
  });

  it('equals the bitsandbytesLars preset on a plain LARSOptimizer, and LARS(optim_bits: 8) equals LARS8bit', () => {
    const kw = { lr: 0.1, momentum: 0.9, weight_decay: 1e-3, nesterov: true, percentile_clipping: 50 };
    const a = run(new LARS(LAYOUT, kw));
    const b = run(new LARSOptimizer(null, presets.bitsandbytesLars(kw), { layout: LAYOUT }));
    expect(Array.from(a)).to.deep.equal(Array.from(b));
    expect(Array.from(run(new LARS(LAYOUT, { ...kw, optim_bits: 8 })))).to.deep.equal(Array.from(run(new LARS8bit(LAYOUT, kw))));
  });

  // Knobs bitsandbytes documents but its kernels drop: each must change the result here, in 32-bit and 8-bit.
  for (const Cls of [LARS32bit, LARS8bit]) {
    const base = { lr: 0.1, momentum: 0.9, weight_decay: 1e-2, max_unorm: 0.02 };
    for (const [knob, change] of [
      ['nesterov', { nesterov: true }],
      ['dampening', { dampening: 0.5 }],
      ['weight_decay', { weight_decay: 0.5 }],
      ['max_unorm', { max_unorm: 0 }],
      ['percentile_clipping', { percentile_clipping: 5 }],
    ] as const) {
      it(`${Cls.name}: ${knob} changes the trajectory`, () => {
        const a = run(new Cls(LAYOUT, base), 6);
        const b = run(new Cls(LAYOUT, { ...base, ...change }), 6);
        expect(Array.from(a)).to.not.deep.equal(Array.from(b));
      });
    }
  }

  it('momentum 0 is supported: the step is lr times the decayed gradient, with no state', () => {
    const layout: ParameterLayout = [{ name: 'w', size: 3, kind: 'weight' }];
    const opt = new LARS8bit(layout, { lr: 0.5, weight_decay: 0.1, max_unorm: 0 });
    const w = Vector.from([1, -2, 4], 'float64');
    opt.step(w, Vector.from([0.5, 0.25, -1], 'float64'));
    expect(Array.from(w.data)).to.deep.equal([1 - 0.5 * (0.5 + 0.1 * 1), -2 - 0.5 * (0.25 + 0.1 * -2), 4 - 0.5 * (-1 + 0.1 * 4)]);
    expect(opt.stateBytes()).to.equal(0);
    expect(opt.saveState().momentum).to.equal(null);
  });

  it('a model-less LARS with params null treats the vector as one layer', () => {
    const opt = new LARS(null, { lr: 0.1, momentum: 0.9, optim_bits: 8 });
    opt.step(Vector.from(normalFloat32(5000, normal(3), 0.1), 'float32'), Vector.from(normalFloat32(5000, normal(4), 0.01), 'float32'));
    expect(opt.layerPlan!.segments).to.have.length(1);
    expect(opt.layerPlan!.segments[0].stateBits).to.equal(8);
  });
});
