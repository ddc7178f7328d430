import { expect } from 'chai';
import { quickstart } from '../../examples/quickstart.js';

describe("the README's quickstart", () => {
  it('runs, moves the parameters, and resumes where it left off', () => {
    const { params, next, optimizer, resumed } = quickstart();
    expect(optimizer.iterations).to.equal(2);
    expect(resumed.iterations).to.equal(2);
    expect(params.data[0]).to.be.below(0.01);
    expect(next.data[0]).to.be.below(params.data[0]);
    expect(resumed.currentLearningRate).to.equal(optimizer.currentLearningRate);
    expect(JSON.stringify(resumed.saveState())).to.equal(JSON.stringify(optimizer.saveState()));
  });
});
