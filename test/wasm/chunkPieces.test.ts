import { expect } from 'chai';
import fc from 'fast-check';
import { cutIntoChunks } from '../../src/backends/wasm/chunkPieces.js';
import type { LayerPlan } from '../../src/core/LayerPlan.js';
import { planOfSizes } from '../support/planOfSizes.js';


/** The chunks as element ranges, with their pieces. */
function chunksOf(plan: LayerPlan, chunkElements: number): { lo: number; hi: number; pieces: [number, number, number][] }[] {
  const { pieces, firstPiece } = cutIntoChunks(plan, chunkElements);
  const out = [];
  for (let c = 0; c + 1 < firstPiece.length; c++) {
    const ps: [number, number, number][] = [];
    for (let p = firstPiece[c]; p < firstPiece[c + 1]; p++) ps.push([pieces[3 * p], pieces[3 * p + 1], pieces[3 * p + 2]]);
    out.push({ lo: ps[0][1], hi: ps[ps.length - 1][2], pieces: ps });
  }
  return out;
}

describe('cutIntoChunks: how the worker threads split a plan', () => {
  it('tiles the plan with pieces in order; 8-bit pieces start and end on their layer’s 256-element blocks; chunks at most max(C, 256) long', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 3000 }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 2000 }),
        fc.integer({ min: 1, max: 200 }).map((k) => 16 * k),
        (sizes, min8bit, chunk) => {
          const plan = planOfSizes(sizes, 8, min8bit);
          const chunks = chunksOf(plan, chunk);
          let next = 0;
          for (const ch of chunks) {
            expect(ch.lo, 'chunks follow each other').to.equal(next);
            expect(ch.hi - ch.lo, 'chunk length').to.be.at.most(Math.max(chunk, 256));
            for (const [layer, start, end] of ch.pieces) {
              const s = plan.segments[layer];
              expect(start, 'pieces follow each other').to.equal(next);
              expect(end).to.be.greaterThan(start);
              expect(start >= s.start && end <= s.end, 'a piece inside its layer').to.equal(true);
              if (s.stateBits === 8) {
                expect((start - s.start) % 256, `layer ${layer}: a piece starts on a block`).to.equal(0);
                expect(end === s.end || (end - s.start) % 256 === 0, `layer ${layer}: a piece ends on a block or the layer's end`).to.equal(true);
              }
              next = end;
            }
          }
          expect(next, 'the whole plan').to.equal(plan.length);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('cuts a plan without 8-bit layers at the multiples of the chunk size, and a long 8-bit layer into whole blocks', () => {
    const flat = chunksOf(planOfSizes([100, 9_999, 3, 40_000], 8, 1e9), 4096);
    expect(flat.map((c) => c.lo)).to.deep.equal(Array.from({ length: Math.ceil(50_102 / 4096) }, (_, i) => 4096 * i));
    // 100 32-bit elements, then an 8-bit layer from element 100: chunk ends fall 100 past a multiple of 256.
    const mixed = chunksOf(planOfSizes([100, 9_999], 8, 4096), 4096);
    expect(mixed.map((c) => [c.lo, c.hi])).to.deep.equal([
      [0, 100 + 15 * 256],
      [100 + 15 * 256, 100 + 31 * 256],
      [100 + 31 * 256, 10_099],
    ]);
    // Chunks below one block: one block each inside the 8-bit layer.
    const tiny = chunksOf(planOfSizes([100, 600], 8, 500), 16);
    expect(tiny.filter((c) => c.lo >= 100).map((c) => [c.lo, c.hi])).to.deep.equal([
      [100, 356],
      [356, 612],
      [612, 700],
    ]);
  });
});
