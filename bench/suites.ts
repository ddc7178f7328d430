import { eightBitSuite } from './eightBit.js';
import { gpuStepSuite } from './gpuStep.js';
import { cpuStepSuite } from './cpuStep.js';
import { stepFloorsSuite } from './stepFloors.js';
import { workerCommitSuite } from './workerCommit.js';
import { tfjsStepSuite } from './tfjsStep.js';
import { trainingJobSuite } from './trainingJob.js';

/** Every benchmark suite `npm run bench` runs, in order. Each prints its own table. */
export interface BenchSuite {
  readonly name: string;
  run(): Promise<void>;
}

/** Every registered suite. */
export const suites: BenchSuite[] = [cpuStepSuite, stepFloorsSuite, workerCommitSuite, gpuStepSuite, eightBitSuite, tfjsStepSuite, trainingJobSuite];
