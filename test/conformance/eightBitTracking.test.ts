import { expect } from 'chai';
import { CpuBackend } from '../../src/backends/js/CpuBackend.js';
import { type OptimizerBackend } from '../../src/core/OptimizerBackend.js';
import { stateOf } from '../support/optimizerInternals.js';
import { checkEightBitTracking } from '../support/trackingCheck.js';
import { forEachBackend } from './backendTable.js';

forEachBackend('8-bit state against 32-bit', (b) => {
  it('tracks a 32-bit run within bitsandbytes’ bounds over 100 re-synced steps (layers >= 4096)', async function () {
    this.timeout(300_000);
    const backend: OptimizerBackend = await b.create();
    let work = b.work(backend);
    const opt8 = checkEightBitTracking(() => backend, {
      label: b.label,
      // The 32-bit reference, started from the 8-bit run's exact position: on the JS loops for a
      // float32 device, else on the optimizer's default CPU backend (as these checks always ran).
      ...(b.tolerance.kind === 'float32' ? { reference: () => new CpuBackend() } : {}),
      afterStep: (step) => {
        expect(b.work(backend) - work, `step ${step}: work on the device`).to.be.at.least(b.minWorkPerStep);
        work = b.work(backend);
      },
    });
    expect(opt8.backendName).to.equal(b.name);
    expect(stateOf(opt8)).to.be.an.instanceOf(b.quantizedState);
    opt8.dispose();
  });
}, true);
