import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TimingSummary } from './harness.js';

/** The C reference source, in the repository (bench/c is not compiled by tsc). */
const SOURCE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'c', 'larsStep.c');

/** The flags the C loop is built with: gcc's best for this machine, strict IEEE (no fast-math). */
export const C_FLAGS = ['-O3', '-march=native', '-fopenmp-simd'];

/** Compiles bench/c/larsStep.c with gcc into a temporary folder; null (with the reason) when gcc is missing or fails. */
export function buildCReference(): { path: string } | { reason: string } {
  const path = join(mkdtempSync(join(tmpdir(), 'lars-c-')), 'larsStep');
  const gcc = spawnSync('gcc', [...C_FLAGS, '-o', path, SOURCE, '-lm'], { encoding: 'utf8' });
  if (gcc.error) return { reason: `gcc not found (${gcc.error.message})` };
  if (gcc.status !== 0) return { reason: `gcc failed: ${gcc.stderr.trim()}` };
  return { path };
}

/** Runs the compiled C step as a child process that times itself, and summarizes its times. */
export function runCReference(path: string, dtype: 'float32' | 'float64', sizes: readonly number[], runs: number, warmup: number): TimingSummary {
  const out = spawnSync(path, [dtype === 'float32' ? 'f32' : 'f64', String(runs), String(warmup), sizes.join(',')], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  if (out.status !== 0) throw new Error(`C reference failed: ${out.stderr}`);
  const times = (JSON.parse(out.stdout) as { times: number[] }).times.sort((a, b) => a - b);
  const mid = times.length >> 1;
  const medianMs = times.length % 2 ? times[mid] : (times[mid - 1] + times[mid]) / 2;
  return { medianMs, minMs: times[0], maxMs: times[times.length - 1], runs };
}
