import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** One tensor of a golden setup. */
export interface GoldenLayer {
  name: string;
  shape: number[];
  init: number[];
  grads: number[][];
}

/** A golden setup: initial tensors and the gradients fed at each step. */
export interface GoldenSetup {
  seed: number;
  steps: number;
  layers: GoldenLayer[];
}

/** One peer run over a setup. */
export interface GoldenRun {
  id: string;
  setup: string;
  variant: string;
  kwargs: Record<string, number | boolean>;
  dtype: string;
  status: 'ok' | 'error';
  error?: string;
  layers: { name: string; params_after: unknown[]; momentum_buffer_final: unknown }[];
}

/**
 * The folder of reference trajectories: `$LARS_GOLDEN_DIR` when set (to replay
 * setups kept outside the repository), else the repository's own
 * `test/fixtures/golden`.
 */
export function goldenDir(): string {
  const dir = process.env.LARS_GOLDEN_DIR ?? fileURLToPath(new URL('../../../test/fixtures/golden', import.meta.url));
  if (!fs.existsSync(path.join(dir, 'setups.json'))) throw new Error(`golden reference data not found in ${dir}`);
  return dir;
}

/** All golden setups by id. */
export function loadSetups(): Record<string, GoldenSetup> {
  return JSON.parse(fs.readFileSync(path.join(goldenDir(), 'setups.json'), 'utf8')).setups;
}

/** Every `runs_<peer>.json` file, by peer key (e.g. `timm_Lars`). */
export function loadRuns(): Record<string, GoldenRun[]> {
  const out: Record<string, GoldenRun[]> = {};
  for (const file of fs.readdirSync(goldenDir())) {
    const m = /^runs_(.+)\.json$/.exec(file);
    if (m) out[m[1]] = JSON.parse(fs.readFileSync(path.join(goldenDir(), file), 'utf8')).runs;
  }
  return out;
}

/** Flattens nested arrays of numbers, row-major. */
export function flatten(value: unknown): number[] {
  return Array.isArray(value) ? value.flatMap(flatten) : [value as number];
}

/** The dynamic-map file: bitsandbytes' signed and unsigned code tables. */
export function loadDynamicMap(): { signed: number[]; unsigned: number[] } {
  return JSON.parse(fs.readFileSync(path.join(goldenDir(), 'dynamic_map.json'), 'utf8'));
}
