/**
 * A plain float64 evaluation of the LARS formula of issue 2, written straight
 * from the text with no shared code: per layer,
 *   d = g + wd·w
 *   λ = η‖w‖ / (‖g‖ + wd‖w‖ + ε), λ = 1 when ‖w‖ = 0 or ‖g‖ = 0
 *   v ← μ·v + (1 − dampening)·lr·λ·d
 *   w ← w − v, or with Nesterov w ← w − (μ·v + lr·λ·d)
 * Skipped layers use λ = 1 and keep weight decay; excluded (bias/norm) layers
 * use λ = 1 and no weight decay.
 */
export interface ReferenceLayer {
  size: number;
  skip: boolean;
  exclude: boolean;
}

export interface ReferenceHyper {
  lr: number;
  wd: number;
  eta: number;
  eps: number;
  mu: number;
  damp: number;
  nesterov: boolean;
}

export class ReferenceLars {
  readonly velocity: number[][];

  constructor(private readonly layers: ReferenceLayer[]) {
    this.velocity = layers.map((l) => new Array<number>(l.size).fill(0));
  }

  /** One step in place on `w` (flat), with the flat gradient `g`. */
  step(w: number[], g: number[], h: ReferenceHyper): void {
    let offset = 0;
    this.layers.forEach((layer, li) => {
      const ws = w.slice(offset, offset + layer.size);
      const gs = g.slice(offset, offset + layer.size);
      const wd = layer.exclude ? 0 : h.wd;
      const wNorm = Math.sqrt(ws.reduce((a, x) => a + x * x, 0));
      const gNorm = Math.sqrt(gs.reduce((a, x) => a + x * x, 0));
      let lambda = 1;
      if (!layer.skip && !layer.exclude && wNorm !== 0 && gNorm !== 0) {
        lambda = (h.eta * wNorm) / (gNorm + wd * wNorm + h.eps);
      }
      const local = h.lr * lambda;
      const v = this.velocity[li];
      for (let i = 0; i < layer.size; i++) {
        const d = gs[i] + wd * ws[i];
        v[i] = h.mu * v[i] + (1 - h.damp) * local * d;
        const update = h.nesterov ? h.mu * v[i] + local * d : v[i];
        w[offset + i] = ws[i] - update;
      }
      offset += layer.size;
    });
  }
}
