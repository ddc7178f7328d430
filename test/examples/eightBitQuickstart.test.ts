import { expect } from 'chai';
import { eightBitQuickstart } from '../../examples/eightBitQuickstart.js';

describe("the README's bitsandbytes example", () => {
  it('keeps 8-bit state for the large layer and 32-bit for the bias, as the README says', () => {
    const { stateBytes, saved } = eightBitQuickstart();
    expect(stateBytes).to.equal(8192 + 4 * 32 + 4 * 64);
    expect(saved.momentum!.map((l) => l.bits)).to.deep.equal([8, 32]);
  });
});
