import { expect } from 'chai';
import { OptimizerInputError, type ParameterLayout } from '../../src/index.js';
import { buildLayerPlan, type LayerPlanOptions } from '../../src/core/LayerPlan.js';

const base: LayerPlanOptions = {
  layerBoundaries: null,
  skipLARSLayers: null,
  excludeBiasFromLARS: true,
  optimBits: 32,
  min8bitSize: 4096,
};
const layout: ParameterLayout = [
  { name: 'w1', size: 6, kind: 'weight' },
  { name: 'b1', size: 2, kind: 'bias' },
  { name: 'ln', size: 2, kind: 'norm' },
  { name: 'w2', size: 4, kind: 'weight' },
];

describe('buildLayerPlan', () => {
  it('treats a vector with no boundaries and no layout as one weight layer', () => {
    const plan = buildLayerPlan(10, base);
    expect(plan.segments.map((s) => [s.start, s.end, s.kind, s.adapt, s.decay])).to.deep.equal([[0, 10, 'weight', true, true]]);
  });

  it('uses one layer per layout tensor and excludes bias and norm layers', () => {
    const plan = buildLayerPlan(14, base, layout);
    expect(plan.segments.map((s) => [s.name, s.start, s.end, s.adapt, s.decay])).to.deep.equal([
      ['w1', 0, 6, true, true],
      ['b1', 6, 8, false, false],
      ['ln', 8, 10, false, false],
      ['w2', 10, 14, true, true],
    ]);
  });

  it('adapts bias and norm layers when excludeBiasFromLARS is off', () => {
    const plan = buildLayerPlan(14, { ...base, excludeBiasFromLARS: false }, layout);
    expect(plan.segments.every((s) => s.adapt && s.decay)).to.equal(true);
  });

  it('splits by cumulative layerBoundaries, the tail forming one more layer', () => {
    const plan = buildLayerPlan(10, { ...base, layerBoundaries: [3, 7] });
    expect(plan.segments.map((s) => [s.start, s.end])).to.deep.equal([[0, 3], [3, 7], [7, 10]]);
    const exact = buildLayerPlan(7, { ...base, layerBoundaries: [3, 7] });
    expect(exact.segments.map((s) => [s.start, s.end])).to.deep.equal([[0, 3], [3, 7]]);
  });

  it('prefers boundaries over the layout and takes a kind when a boundary layer holds one kind', () => {
    // A layer of mixed kinds (b1 bias + ln norm) is allowed only where kinds change nothing.
    const plan = buildLayerPlan(14, { ...base, excludeBiasFromLARS: false, layerBoundaries: [6, 10] }, layout);
    expect(plan.segments.map((s) => [s.start, s.end, s.kind])).to.deep.equal([
      [0, 6, 'weight'],
      [6, 10, 'weight'],
      [10, 14, 'weight'],
    ]);
    const biasOnly = buildLayerPlan(14, { ...base, layerBoundaries: [3, 6, 8, 10] }, layout);
    expect(biasOnly.segments.map((s) => s.kind)).to.deep.equal(['weight', 'weight', 'bias', 'norm', 'weight']);
    expect(biasOnly.segments[2].adapt).to.equal(false);
  });

  it('skips listed layers: ratio 1 but weight decay kept', () => {
    const plan = buildLayerPlan(14, { ...base, skipLARSLayers: [0, 1] }, layout);
    expect(plan.segments.map((s) => [s.adapt, s.decay])).to.deep.equal([
      [false, true],
      [false, false],
      [false, false],
      [true, true],
    ]);
  });

  it('marks 8-bit state only on layers of at least min8bitSize', () => {
    const plan = buildLayerPlan(14, { ...base, optimBits: 8, min8bitSize: 4 }, layout);
    expect(plan.segments.map((s) => s.stateBits)).to.deep.equal([8, 32, 32, 8]);
  });

  const rejects: [string, () => unknown, RegExp][] = [
    ['a boundary past the end', () => buildLayerPlan(10, { ...base, layerBoundaries: [4, 11] }), /past the end.*10 elements/],
    ['a skip index that does not exist', () => buildLayerPlan(10, { ...base, skipLARSLayers: [1] }), /layer 1.*1 layer/],
    ['a layout that does not add up', () => buildLayerPlan(13, base, layout), /add up to 14.*13 elements/],
    ['a negative tensor size', () => buildLayerPlan(0, base, [{ name: 'x', size: -1, kind: 'weight' }]), /size -1/],
    ['an unknown kind', () => buildLayerPlan(1, base, [{ name: 'x', size: 1, kind: 'gain' as never }]), /kind gain/],
  ];
  for (const [title, run, message] of rejects) {
    it(`rejects ${title}`, () => {
      expect(run).to.throw(OptimizerInputError, message);
      try {
        run();
      } catch (e) {
        expect((e as OptimizerInputError).code).to.equal('invalid-layout');
      }
    });
  }
});
