import { expect } from 'chai';
import { LARS32bit, LARS8bit, Vector, type ParameterLayout } from '../../src/index.js';
import { type OptimizerBackend } from '../../src/core/OptimizerBackend.js';
import { dequantizedState, momentumOf } from './eightBit.js';
import { normal, normalFloat32 } from './random.js';

/** Two layers of at least 4096 elements, so both keep 8-bit state. */
const LAYOUT: ParameterLayout = [
  { name: 'conv.weight', size: 8192, kind: 'weight' },
  { name: 'fc.weight', size: 5000, kind: 'weight' },
];
const KWARGS = { lr: 0.01, momentum: 0.9, weight_decay: 1e-4 };

/** What {@link checkEightBitTracking} may vary besides the 8-bit backend. */
export interface TrackingOptions {
  /** Names the run in the printed line, e.g. `GPU`. */
  readonly label?: string;
  /** The 32-bit reference's backend (a fresh one per step). Default: the optimizer's default. */
  readonly reference?: () => OptimizerBackend;
  /** Runs after each 8-bit step, e.g. to check that the device really worked. */
  readonly afterStep?: (step: number) => void;
}

/**
 * bitsandbytes' tracking test: an 8-bit optimizer on `backend()` steps 100
 * times; before each step a 32-bit optimizer is re-synced to its dequantized
 * state and takes the same step. Asserts mean |Δp| < 1e-4, mean relative
 * error < 1e-3 and fewer than 20 momentum elements outside
 * 3e-3 + 1e-3·|m| at every step, and that no backend warning was raised;
 * prints the worst values, and returns the 8-bit optimizer (for checks on
 * where it ran).
 *
 * @param backend - the 8-bit optimizer's backend (a fresh one per call).
 */
export function checkEightBitTracking(backend: () => OptimizerBackend, options: TrackingOptions = {}): LARS8bit {
  const n = 8192 + 5000;
  const rnd = normal(11);
  const w8 = Vector.from(normalFloat32(n, rnd, 0.1), 'float32');
  const warnings: string[] = [];
  const opt8 = new LARS8bit(LAYOUT, KWARGS, {}, { backend: backend(), onWarning: (m) => warnings.push(m) });
  let worstMeanAbs = 0;
  let worstMeanRel = 0;
  let worstNotClose = 0;
  for (let step = 0; step < 100; step++) {
    const g = Vector.from(normalFloat32(n, rnd, 0.01), 'float32');
    const ref = new LARS32bit(LAYOUT, KWARGS, {}, options.reference === undefined ? {} : { backend: options.reference() });
    if (step > 0) ref.loadState(dequantizedState(opt8.saveState()));
    const w32 = w8.clone();
    opt8.step(w8, g);
    options.afterStep?.(step);
    ref.step(w32, g);
    let abs = 0;
    let rel = 0;
    for (let i = 0; i < n; i++) {
      const e = Math.abs(w8.data[i] - w32.data[i]);
      abs += e;
      rel += e / (Math.abs(w32.data[i]) + 1e-9);
    }
    worstMeanAbs = Math.max(worstMeanAbs, abs / n);
    worstMeanRel = Math.max(worstMeanRel, rel / n);
    const m8 = momentumOf(opt8.saveState());
    const m32 = momentumOf(ref.saveState());
    let notClose = 0;
    m8.forEach((layer, l) => layer.forEach((v, i) => {
      if (!(Math.abs(v - m32[l][i]) <= 3e-3 + 1e-3 * Math.abs(m32[l][i]))) notClose++;
    }));
    worstNotClose = Math.max(worstNotClose, notClose);
  }
  console.log(`      ${options.label === undefined ? '' : `${options.label} `}8-bit vs 32-bit over 100 steps: worst mean |Δp| ${worstMeanAbs.toExponential(2)}, worst mean rel ${worstMeanRel.toExponential(2)}, worst state elements not close ${worstNotClose}`);
  expect(warnings).to.deep.equal([]);
  expect(worstMeanAbs).to.be.below(1e-4);
  expect(worstMeanRel).to.be.below(1e-3);
  expect(worstNotClose).to.be.below(20);
  expect(opt8.layerPlan!.segments.every((s) => s.stateBits === 8)).to.equal(true);
  return opt8;
}
