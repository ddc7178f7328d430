// Runs the compiled test suite with mocha. When no display is set and xvfb-run
// exists, the suite runs inside a virtual X server so that gpu.js can open a
// headless-gl context on Mesa's software renderer.
import { spawnSync } from 'node:child_process';

// The default spec lives here, not in .mocharc.json: mocha appends a command-line
// --spec to the config's, so a config spec would make `--spec <subset>` run everything.
const given = process.argv.slice(2);
const hasSpec = given.some((a) => a === '--spec' || a.startsWith('--spec='));
const mocha = ['node_modules/.bin/mocha', ...given, ...(hasSpec ? [] : ['--spec', 'build/test/**/*.test.js'])];
const hasXvfb = spawnSync('sh', ['-c', 'command -v xvfb-run'], { stdio: 'ignore' }).status === 0;
const wrap = !process.env.DISPLAY && hasXvfb && process.env.LARS_NO_XVFB !== '1';
const [cmd, ...cmdArgs] = wrap ? ['xvfb-run', '-a', '-s', '-ac -screen 0 1280x1024x24', ...mocha] : mocha;
if (!wrap) console.log(`(running tests without xvfb-run: ${process.env.DISPLAY ? 'DISPLAY is set' : 'xvfb-run not found'})`);
const result = spawnSync(cmd, cmdArgs, { stdio: 'inherit' });
process.exit(result.status ?? 1);
