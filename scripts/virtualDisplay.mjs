// Where no display is set and xvfb-run exists, a command runs inside a virtual
// X server, so that gpu.js can open a headless-gl context on Mesa's software
// renderer. Used by the test and benchmark runners. LARS_NO_XVFB=1 turns it off.
import { spawnSync } from 'node:child_process';

/**
 * The command line that runs `argv` under xvfb-run when that is possible and
 * needed, and a note when it does not (null when it does).
 *
 * @param {string[]} argv - the command and its arguments.
 * @returns {{ command: string[], note: string | null }}
 */
export function withVirtualDisplay(argv) {
  const hasXvfb = spawnSync('sh', ['-c', 'command -v xvfb-run'], { stdio: 'ignore' }).status === 0;
  const wrap = !process.env.DISPLAY && hasXvfb && process.env.LARS_NO_XVFB !== '1';
  if (wrap) return { command: ['xvfb-run', '-a', '-s', '-ac -screen 0 1280x1024x24', ...argv], note: null };
  const why = process.env.DISPLAY ? 'DISPLAY is set' : process.env.LARS_NO_XVFB === '1' ? 'LARS_NO_XVFB=1' : 'xvfb-run not found';
  return { command: argv, note: `without xvfb-run: ${why}` };
}
