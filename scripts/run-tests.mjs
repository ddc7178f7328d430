// Runs the compiled test suite with mocha, inside a virtual X server where
// needed (see virtualDisplay.mjs) so that the gpu.js tests get headless-gl.
import { spawnSync } from 'node:child_process';
import { withVirtualDisplay } from './virtualDisplay.mjs';

// The default spec lives here, not in .mocharc.json: mocha appends a command-line
// --spec to the config's, so a config spec would make `--spec <subset>` run everything.
const given = process.argv.slice(2);
const hasSpec = given.some((a) => a === '--spec' || a.startsWith('--spec='));
const { command, note } = withVirtualDisplay(['node_modules/.bin/mocha', ...given, ...(hasSpec ? [] : ['--spec', 'build/test/**/*.test.js'])]);
if (note !== null) console.log(`(running tests ${note})`);
const result = spawnSync(command[0], command.slice(1), { stdio: 'inherit' });
process.exit(result.status ?? 1);
