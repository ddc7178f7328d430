import { expect } from 'chai';
import fc from 'fast-check';
import { LARSOptimizer, Vector, type ParameterKind } from '../../src/index.js';
import { CpuBackend } from '../../src/backends/js/CpuBackend.js';
import { ReferenceLars } from '../support/referenceLars.js';

const finite = (min: number, max: number) => fc.double({ min, max, noNaN: true, noDefaultInfinity: true });

const layerArb = fc.record({
  size: fc.integer({ min: 1, max: 40 }),
  kind: fc.constantFrom<ParameterKind>('weight', 'weight', 'bias', 'norm'),
});

const caseArb = fc
  .record({
    layers: fc.array(layerArb, { minLength: 1, maxLength: 6 }),
    lr: finite(1e-3, 5),
    wd: fc.oneof(fc.constant(0), finite(0, 0.1)),
    eta: finite(1e-4, 0.1),
    eps: fc.oneof(fc.constant(0), finite(1e-10, 1e-6)),
    mu: fc.oneof(fc.constant(0), finite(0, 0.99)),
    damp: fc.oneof(fc.constant(0), finite(0, 1)),
    nesterov: fc.boolean(),
    exclude: fc.boolean(),
    skipMask: fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
    zeroLayer: fc.integer({ min: -1, max: 5 }),
    seed: fc.integer({ min: 1, max: 2 ** 30 }),
    steps: fc.integer({ min: 1, max: 3 }),
  })
  .map((c) => (c.nesterov && (c.mu === 0 || c.damp !== 0) ? { ...c, nesterov: false } : c));

function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648 - 0.5;
  };
}

describe('property: one LARS step equals a plain float64 evaluation of the formula', () => {
  it('holds for random layouts, hyper-parameters, skips, exclusions and zero layers (1e-12 relative)', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const layout = c.layers.map((l, i) => ({ name: `t${i}`, size: l.size, kind: l.kind }));
        const skip = c.layers.map((_, i) => i).filter((i) => c.skipMask[i]);
        const n = layout.reduce((a, t) => a + t.size, 0);
        const rand = random(c.seed);
        const w0 = Array.from({ length: n }, () => rand());
        let offset = 0;
        layout.forEach((t, i) => {
          if (i === c.zeroLayer) w0.fill(0, offset, offset + t.size);
          offset += t.size;
        });
        const opt = new LARSOptimizer<'float64'>(
          null,
          {
            initialLearningRate: c.lr,
            weightDecay: c.wd,
            trustCoefficient: c.eta,
            epsilon: c.eps,
            momentum: c.mu,
            dampening: c.damp,
            useNesterov: c.nesterov,
            excludeBiasFromLARS: c.exclude,
            skipLARSLayers: skip,
            warmupEpochs: 0,
            learningRateSchedule: 'constant',
          },
          { layout, backend: new CpuBackend() },
        );
        const ref = new ReferenceLars(
          c.layers.map((l, i) => ({ size: l.size, skip: skip.includes(i), exclude: c.exclude && l.kind !== 'weight' })),
        );
        const w = Vector.from(w0, 'float64');
        const wRef = [...w0];
        for (let s = 0; s < c.steps; s++) {
          const g = Array.from({ length: n }, () => rand() * 0.1);
          opt.step(w, Vector.from(g, 'float64'));
          ref.step(wRef, g, { lr: c.lr, wd: c.wd, eta: c.eta, eps: c.eps, mu: c.mu, damp: c.damp, nesterov: c.nesterov });
        }
        for (let i = 0; i < n; i++) {
          const tol = 1e-12 * Math.max(1, Math.abs(wRef[i]));
          expect(Math.abs(w.data[i] - wRef[i]), `element ${i}`).to.be.at.most(tol);
        }
      }),
      { numRuns: 300, seed: 20171101 },
    );
  });
});
