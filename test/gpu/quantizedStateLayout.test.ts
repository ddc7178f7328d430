import { expect } from 'chai';
import { ChunkLayout } from '../../src/backends/gpujs/ChunkLayout.js';
import { QuantizedStateLayout, WORDS_PER_BLOCK, ZERO_WORD } from '../../src/backends/gpujs/QuantizedStateLayout.js';
import { buildLayerPlan, PLAIN_PLAN } from '../../src/core/LayerPlan.js';
import { SIGNED_CODE_BOOK } from '../../src/quantization/CodeBook.js';
import { blockCount } from '../../src/quantization/blockwise.js';
import { uniform } from '../support/random.js';

function layoutOf(sizes: number[], min8bitSize = 4096): QuantizedStateLayout {
  const n = sizes.reduce((a, b) => a + b, 0);
  const plan = buildLayerPlan(
    n,
    { ...PLAIN_PLAN, optimBits: 8, min8bitSize },
    sizes.map((size, i) => ({ name: `t${i}`, size, kind: 'weight' as const })),
  );
  return new QuantizedStateLayout(new ChunkLayout(plan));
}

describe('QuantizedStateLayout (host only)', () => {
  it('packs three codes per word below 2^24 and unpacks them exactly, per layer, padding at the zero code', () => {
    const L = layoutOf([5000, 300, 70000, 4096, 1]);
    const u = uniform(3);
    const codes = L.plan.segments.map((s) => (s.stateBits === 8 ? Uint8Array.from({ length: s.end - s.start }, () => Math.floor(u() * 256)) : null));
    const absmax = L.plan.segments.map((s) => (s.stateBits === 8 ? Float32Array.from({ length: blockCount(s.end - s.start) }, () => u()) : null));
    const floats = L.plan.segments.map((s) => (s.stateBits === 32 ? Float32Array.from({ length: s.end - s.start }, () => u() - 0.5) : null));
    const words = L.packCodes(codes);
    expect(words.length).to.equal(L.wordsPerRow * L.rows8);
    expect(L.wordsPerRow).to.equal((L.chunks.chunkSize / 256) * WORDS_PER_BLOCK);
    for (const x of words) expect(Number.isInteger(x) && x >= 0 && x < 2 ** 24).to.equal(true);
    const a = L.packAbsmax(absmax);
    const f = L.packFloats(floats);
    for (const s of L.plan.segments) {
      if (s.stateBits === 8) {
        expect(Array.from(L.unpackCodes(words, s.index))).to.deep.equal(Array.from(codes[s.index]!));
        expect(Array.from(L.unpackAbsmax(a, s.index))).to.deep.equal(Array.from(absmax[s.index]!));
      } else {
        expect(Array.from(L.unpackFloats(f, s.index))).to.deep.equal(Array.from(floats[s.index]!));
      }
    }
    // 5000 = 19·256 + 136: the rest of block 19 and the unused slots hold the zero code.
    const row0 = L.chunkRow8[L.chunks.firstChunk[0]];
    const lastWord = words[row0 * L.wordsPerRow + 19 * WORDS_PER_BLOCK + 85];
    expect(lastWord).to.equal(ZERO_WORD);
    expect(ZERO_WORD % 256).to.equal(SIGNED_CODE_BOOK.zeroCode);
  });

  it('maps chunks to 8-bit and 32-bit rows both ways', () => {
    const L = layoutOf([5000, 300, 8192]);
    expect(L.chunks.chunkSize).to.equal(256);
    expect(L.rows8).to.equal(20 + 32);
    expect(L.rows32).to.equal(2);
    for (let y = 0; y < L.chunks.chunks; y++) {
      const r8 = L.chunkRow8[y];
      const r32 = L.chunkRow32[y];
      expect((r8 >= 0) !== (r32 >= 0), `chunk ${y} is in exactly one matrix`).to.equal(true);
      if (r8 >= 0) expect(L.rowChunk8[r8]).to.equal(y);
      else expect(L.rowChunk32[r32]).to.equal(y);
    }
  });
});
