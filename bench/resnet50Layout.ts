import { type ParameterLayout, type ParameterTensor } from '../src/index.js';

/**
 * The 55 weight tensors of ResNet-50 (53 convolutions, the classifier and its
 * bias) in element counts: 25.5M parameters, the layer-size mix the benchmark
 * uses. BatchNorm tensors are left out, as in "about 55 tensors".
 */
export function resnet50Tensors(): ParameterTensor[] {
  const out: ParameterTensor[] = [{ name: 'conv1', size: 64 * 3 * 7 * 7, kind: 'weight' }];
  const stages: [number, number, number][] = [
    [3, 64, 256],
    [4, 128, 512],
    [6, 256, 1024],
    [3, 512, 2048],
  ];
  let inChannels = 64;
  stages.forEach(([blocks, width, outChannels], stage) => {
    for (let b = 0; b < blocks; b++) {
      const name = `layer${stage + 1}.${b}`;
      out.push({ name: `${name}.conv1`, size: width * inChannels, kind: 'weight' });
      out.push({ name: `${name}.conv2`, size: width * width * 9, kind: 'weight' });
      out.push({ name: `${name}.conv3`, size: outChannels * width, kind: 'weight' });
      if (b === 0) out.push({ name: `${name}.downsample`, size: outChannels * inChannels, kind: 'weight' });
      inChannels = outChannels;
    }
  });
  out.push({ name: 'fc.weight', size: 1000 * 2048, kind: 'weight' });
  out.push({ name: 'fc.bias', size: 1000, kind: 'bias' });
  return out;
}

/** ResNet-50's tensor mix scaled to about `total` elements (each tensor at least 1), summing to exactly `total`. */
export function resnet50LikeLayout(total: number): ParameterLayout {
  const base = resnet50Tensors();
  const baseTotal = base.reduce((a, t) => a + t.size, 0);
  const scaled = base.map((t) => ({ ...t, size: Math.max(1, Math.round((t.size * total) / baseTotal)) }));
  const diff = total - scaled.reduce((a, t) => a + t.size, 0);
  const largest = scaled.reduce((best, t, i) => (t.size > scaled[best].size ? i : best), 0);
  scaled[largest] = { ...scaled[largest], size: scaled[largest].size + diff };
  return scaled;
}
