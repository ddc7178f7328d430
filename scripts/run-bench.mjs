// `npm run bench [-- suite ...]`: runs the compiled benchmarks
// (build/bench/run.js), inside a virtual X server where needed (see
// virtualDisplay.mjs) so that the gpuStep suite gets headless-gl.
import { spawnSync } from 'node:child_process';
import { withVirtualDisplay } from './virtualDisplay.mjs';

const { command, note } = withVirtualDisplay([process.execPath, 'build/bench/run.js', ...process.argv.slice(2)]);
if (note !== null) console.log(`(running the benchmarks ${note})`);
const result = spawnSync(command[0], command.slice(1), { stdio: 'inherit' });
process.exit(result.status ?? 1);
