// `npm start -- [flags]`: the MNIST example. `--help` (or `-h`) answers at
// once from examples/mnist/parseFlags.ts, compiled in memory by esbuild,
// without building the project; anything else builds (npm run build:all)
// and runs build/examples/mnist/main.js with the flags.
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);

if (args.includes('--help') || args.includes('-h')) {
  const { buildSync } = await import('esbuild');
  const out = buildSync({
    entryPoints: [`${root}examples/mnist/parseFlags.ts`],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'node',
    logLevel: 'silent',
  });
  const { HELP_TEXT } = await import(`data:text/javascript;base64,${Buffer.from(out.outputFiles[0].text).toString('base64')}`);
  process.stdout.write(HELP_TEXT);
  process.exit(0);
}

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const build = spawnSync(npm, ['run', 'build:all'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
const child = spawn(process.execPath, [`${root}build/examples/mnist/main.js`, ...args], { stdio: 'inherit' });
// Ctrl-C reaches the child through the terminal; the example stops after its step and exits itself.
process.on('SIGINT', () => {});
child.on('exit', (code, signal) => process.exit(code ?? (signal === null ? 1 : 128)));
