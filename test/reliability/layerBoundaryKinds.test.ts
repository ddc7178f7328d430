import { expect } from 'chai';
import { LARSOptimizer, OptimizerInputError, Vector, type ParameterLayout } from '../../src/index.js';
import { buildLayerPlan, type LayerPlanOptions } from '../../src/core/LayerPlan.js';

// Issue 11, item 13: layerBoundaries over a layout must never silently drop the layout's tensor kinds.

const LAYOUT: ParameterLayout = [
  { name: 'w', size: 6, kind: 'weight' },
  { name: 'b', size: 2, kind: 'bias' },
];
const base: LayerPlanOptions = { layerBoundaries: [3], skipLARSLayers: null, excludeBiasFromLARS: true, optimBits: 32, min8bitSize: 4096 };

describe('reliability: layerBoundaries with a layout (issue 11, item 13)', () => {
  it('refuses boundaries that put bias elements in a weight layer, naming the tensors and the fix', () => {
    let error: unknown = null;
    try {
      buildLayerPlan(8, base, LAYOUT);
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(OptimizerInputError);
    expect((error as OptimizerInputError).code).to.equal('invalid-layout');
    expect(String(error)).to.match(/layer 1 \(elements 3\.\.7\).*w \(weight, elements 0\.\.5\), b \(bias, elements 6\.\.7\).*tensor ends \(6\)/);
  });

  it('a step with such boundaries throws and changes nothing', () => {
    const opt = new LARSOptimizer<'float64'>(null, { backend: 'cpu', layerBoundaries: [3] }, { layout: LAYOUT });
    const w = Vector.from([1, 2, 3, 4, 5, 6, 0.5, 0.5], 'float64');
    const g = Vector.from([0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1], 'float64');
    expect(() => opt.step(w, g)).to.throw(OptimizerInputError, /different kinds/);
    expect(Array.from(w.data)).to.deep.equal([1, 2, 3, 4, 5, 6, 0.5, 0.5]);
    expect(opt.iterations).to.equal(0);
  });

  it('keeps the kind where every layer is of one kind (boundaries inside a tensor, or at tensor ends)', () => {
    const plan = buildLayerPlan(8, { ...base, layerBoundaries: [3, 6] }, LAYOUT);
    expect(plan.segments.map((s) => [s.kind, s.adapt, s.decay])).to.deep.equal([
      ['weight', true, true],
      ['weight', true, true],
      ['bias', false, false],
    ]);
  });

  it('without excludeBiasFromLARS kinds change nothing, so mixed layers stay allowed', () => {
    const plan = buildLayerPlan(8, { ...base, excludeBiasFromLARS: false }, LAYOUT);
    expect(plan.segments.map((s) => [s.start, s.end, s.adapt, s.decay])).to.deep.equal([
      [0, 3, true, true],
      [3, 8, true, true],
    ]);
  });
});
