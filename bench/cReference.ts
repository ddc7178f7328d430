import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The C reference source, in the repository (bench/c is not compiled by tsc). */
const SOURCE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'c', 'larsStep.c');

/**
 * The flags the C loop is built with: gcc's best for this machine with strict
 * IEEE arithmetic, the same roundings as the WebAssembly kernels: no
 * fast-math, and no contraction of a·b + c into one fused multiply-add (gcc
 * contracts by default; WebAssembly SIMD has no FMA).
 */
export const C_FLAGS = ['-O3', '-march=native', '-fopenmp-simd', '-ffp-contract=off'];

/** gcc's default build of the same loop for comparison: FMA contraction allowed (different roundings). */
export const C_FLAGS_CONTRACTED = ['-O3', '-march=native', '-fopenmp-simd'];

/** Compiles bench/c/larsStep.c with gcc (default flags {@link C_FLAGS}) into a temporary folder; the reason when gcc is missing or fails. */
export function buildCReference(flags: readonly string[] = C_FLAGS): { path: string } | { reason: string } {
  const path = join(mkdtempSync(join(tmpdir(), 'lars-c-')), 'larsStep');
  const gcc = spawnSync('gcc', [...flags, '-o', path, SOURCE, '-lm'], { encoding: 'utf8' });
  if (gcc.error) return { reason: `gcc not found (${gcc.error.message})` };
  if (gcc.status !== 0) return { reason: `gcc failed: ${gcc.stderr.trim()}` };
  return { path };
}

/**
 * The order of the C loop's passes: `per-layer` runs both passes of a layer
 * back to back (pass 2 finds it in cache); `two-pass` runs the norm pass over
 * every layer first, the order lars-ts keeps so that bad input changes nothing;
 * `norms` and `update` time one pass alone.
 */
export type CPassOrder = 'per-layer' | 'two-pass' | 'norms' | 'update';

/** Runs the compiled C step as a child process that times itself; returns the times of its timed steps in ms. */
export function runCReference(
  path: string,
  dtype: 'float32' | 'float64',
  sizes: readonly number[],
  runs: number,
  warmup: number,
  order: CPassOrder = 'per-layer',
): number[] {
  const out = spawnSync(path, [dtype === 'float32' ? 'f32' : 'f64', String(runs), String(warmup), sizes.join(','), order], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  if (out.status !== 0) throw new Error(`C reference failed: ${out.stderr}`);
  return (JSON.parse(out.stdout) as { times: number[] }).times;
}
