// The README's bitsandbytes example, compiled and run by the test suite.
import { LARS8bit, Vector } from '../src/index.js';

/** Steps an 8-bit LARS once and returns it with its state size. */
export function eightBitQuickstart() {
  const layout = [
    { name: 'conv.weight', size: 8192, kind: 'weight' },
    { name: 'conv.bias', size: 64, kind: 'bias' },
  ] as const;
  const opt = new LARS8bit(layout, { lr: 0.1, momentum: 0.9, weight_decay: 1e-4, percentile_clipping: 95 });
  const weights = Vector.of(new Float32Array(8256).map((_, i) => Math.sin(i)));
  const gradient = Vector.of(new Float32Array(8256).map((_, i) => 0.01 * Math.cos(i)));
  opt.step(weights, gradient);
  return { opt, stateBytes: opt.stateBytes(), saved: opt.saveState() };
}
