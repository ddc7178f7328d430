/** Timing helpers shared by every benchmark suite. */

/** Median, min and max of a sample, in milliseconds. */
export interface TimingSummary {
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly runs: number;
}

/** Runs `fn` `warmup` times untimed, then `runs` times timed, and summarizes. */
export async function timeRuns(fn: () => unknown, runs: number, warmup = 2): Promise<TimingSummary> {
  return summarize(await sampleRuns(fn, runs, warmup));
}

/** Runs `fn` `warmup` times untimed, then `runs` times timed; the times in ms. */
export async function sampleRuns(fn: () => unknown, runs: number, warmup = 2): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return times;
}

/** Median, min and max of a sample of times in ms. */
export function summarize(sample: readonly number[]): TimingSummary {
  const times = [...sample].sort((a, b) => a - b);
  const mid = times.length >> 1;
  const medianMs = times.length % 2 ? times[mid] : (times[mid - 1] + times[mid]) / 2;
  return { medianMs, minMs: times[0], maxMs: times[times.length - 1], runs: times.length };
}

/** Fills `array` with deterministic pseudo-random values in [-scale, scale). */
export function fillRandom(array: Float32Array | Float64Array, seed: number, scale = 1): void {
  let s = seed >>> 0 || 1;
  for (let i = 0; i < array.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    array[i] = ((s >>> 0) / 4294967296 - 0.5) * 2 * scale;
  }
}
