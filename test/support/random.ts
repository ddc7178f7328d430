/** A deterministic xorshift32 generator of uniform numbers in [0, 1). */
export function uniform(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

/** Fills `array` with deterministic values in [-scale, scale) from {@link uniform}. */
export function fillRandom(array: Float32Array | Float64Array, seed: number, scale = 1): void {
  const u = uniform(seed);
  for (let i = 0; i < array.length; i++) array[i] = (u() - 0.5) * 2 * scale;
}

/** A deterministic standard-normal generator (Box–Muller over {@link uniform}). */
export function normal(seed: number): () => number {
  const u = uniform(seed);
  return () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

/** `n` float32 values `scale`·N(0, 1). */
export function normalFloat32(n: number, rnd: () => number, scale: number): Float32Array {
  return Float32Array.from({ length: n }, () => scale * rnd());
}
