/**
 * The GPU kernels of the gpu.js backend, as the plain functions gpu.js
 * compiles to GLSL. gpu.js reads their source text, so they use only the
 * JavaScript subset it understands: numbers, `Math`, `this.thread`,
 * `this.constants` and loops with a constant bound.
 *
 * Device layout (see {@link ChunkLayout}): vectors are `[chunkSize, chunks]`
 * matrices, row `y` is one chunk of layer `chunkLayer[y]`, padding is zero.
 * Coefficients arrive as a `[8, layers]` matrix whose row `l` holds layer l's
 * gradScale, decay, bufferMomentum, bufferGain, fromBuffer, fromDirection,
 * stepScale and a zero.
 *
 * @module
 */

/* eslint-disable @typescript-eslint/no-explicit-any */
type KernelThis = { thread: { x: number; y: number }; constants: { chunkSize: number; maxChunks: number } };

/**
 * Copies an uploaded host array into a device texture.
 *
 * @category Backends
 */
export function copyKernel(this: KernelThis, x: any): number {
  return x[this.thread.y][this.thread.x];
}

/**
 * A zero texture: the momentum of a fresh state, and the stand-in buffer when there is none.
 *
 * @category Backends
 */
export function zeroKernel(this: KernelThis): number {
  return 0 * this.thread.x;
}

/**
 * Reduction, first level: the sum of squares of one chunk (one row) per thread.
 *
 * @category Backends
 */
export function chunkSquaresKernel(this: KernelThis, x: any): number {
  let sum = 0;
  for (let i = 0; i < this.constants.chunkSize; i++) {
    const v = x[this.thread.x][i];
    sum += v * v;
  }
  return sum;
}

/**
 * Reduction, second level: thread 2l sums layer l's chunk partials of `p`,
 * thread 2l+1 those of `q`, so one readback returns `[‖w₀‖², ‖g₀‖², …]`.
 *
 * @category Backends
 */
export function layerPairSumsKernel(this: KernelThis, p: any, q: any, firstChunk: any, chunkCount: any): number {
  const layer = Math.floor(this.thread.x / 2);
  const odd = this.thread.x - 2 * layer;
  const first = firstChunk[layer];
  const count = chunkCount[layer];
  let sum = 0;
  for (let j = 0; j < this.constants.maxChunks; j++) {
    if (j < count) {
      sum += odd > 0.5 ? q[first + j] : p[first + j];
    }
  }
  return sum;
}

/**
 * Reduction, first level, of the update u each element would get: Σu² per chunk.
 *
 * @category Backends
 */
export function chunkUpdateSquaresKernel(this: KernelThis, w: any, g: any, buf: any, chunkLayer: any, coef: any): number {
  const l = chunkLayer[this.thread.x];
  const gs = coef[l][0];
  const wd = coef[l][1];
  const mu = coef[l][2];
  const a = coef[l][3];
  const cb = coef[l][4];
  const cd = coef[l][5];
  let sum = 0;
  for (let i = 0; i < this.constants.chunkSize; i++) {
    const d = gs * g[this.thread.x][i] + wd * w[this.thread.x][i];
    const b = mu * buf[this.thread.x][i] + a * d;
    const u = cb * b + cd * d;
    sum += u * u;
  }
  return sum;
}

/**
 * The fused update, momentum half: the new buffer b = μ·buf + a·(gs·g + wd·w).
 *
 * @category Backends
 */
export function updateBufferKernel(this: KernelThis, w: any, g: any, buf: any, chunkLayer: any, coef: any): number {
  const l = chunkLayer[this.thread.y];
  const d = coef[l][0] * g[this.thread.y][this.thread.x] + coef[l][1] * w[this.thread.y][this.thread.x];
  return coef[l][2] * buf[this.thread.y][this.thread.x] + coef[l][3] * d;
}

/**
 * The fused update, parameter half: w − step·(cb·b + cd·d), reading the new buffer b.
 *
 * @category Backends
 */
export function updateParamsKernel(this: KernelThis, w: any, g: any, newBuf: any, chunkLayer: any, coef: any): number {
  const l = chunkLayer[this.thread.y];
  const wi = w[this.thread.y][this.thread.x];
  const d = coef[l][0] * g[this.thread.y][this.thread.x] + coef[l][1] * wi;
  const u = coef[l][4] * newBuf[this.thread.y][this.thread.x] + coef[l][5] * d;
  return wi - coef[l][6] * u;
}
