// Bundles lars-ts for browsers with esbuild: ES modules under dist/browser/,
// one per entry (lars-ts.js for the root, backends.js for lars-ts/backends)
// plus the chunks they share (so both see the same classes), built for
// platform browser with no Node built-ins and nothing left to import: the
// WebAssembly kernels (base64 in the generated TS), the kernel worker's own
// source and gpu.js's browser build (WebGL2/WebGL) are inside.
//
//   node scripts/build-browser.mjs                    # the default entries below
//   node scripts/build-browser.mjs src/x.ts=name ...  # these entries instead: dist/browser/<name>.js
//   node scripts/build-browser.mjs --demo             # the demo page into build/demo/ (after the bundles)
//
// Needs the generated kernels (npm run build:wasm) first.
import * as esbuild from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(root, 'dist/browser');

/** Entry points and their bundle names (package.json's `browser` conditions point at them). */
const DEFAULT_ENTRIES = [
  ['src/index.ts', 'lars-ts'],
  ['src/backends/index.ts', 'backends'],
  ['src/tfjs/index.ts', 'tfjs'],
];

/**
 * Swaps every `<name>.ts` that has a `<name>.browser.ts` beside it for that
 * file (today: nodeThreadHost.ts, which reaches worker_threads), so no Node
 * built-in is bundled.
 */
const browserVariants = {
  name: 'browser-variants',
  setup(build) {
    build.onResolve({ filter: /\.js$/ }, (args) => {
      if (!args.path.startsWith('.')) return undefined;
      const candidate = path.resolve(args.resolveDir, args.path.replace(/\.js$/, '.browser.ts'));
      return fs.existsSync(candidate) ? { path: candidate } : undefined;
    });
  },
};

/**
 * Packages a bundle imports instead of holding: TensorFlow.js, which keeps one
 * engine per page, so a subpath built on it (lars-ts/tfjs) must share the
 * application's copy. src/index.ts imports none of them.
 */
const EXTERNAL = ['@tensorflow/*'];

const common = {
  bundle: true,
  external: EXTERNAL,
  platform: 'browser',
  format: 'esm',
  target: 'es2022',
  logLevel: 'warning',
  plugins: [browserVariants],
  // Source files import each other as `./x.js`; esbuild finds the `.ts`.
  resolveExtensions: ['.ts', '.js', '.mjs'],
};

/** Bundles the kernel worker alone and returns its source, to be inlined into each bundle. */
async function workerSource() {
  const result = await esbuild.build({
    ...common,
    entryPoints: [path.join(root, 'src/backends/wasm/wasmWorker.ts')],
    write: false,
    minify: true,
  });
  return result.outputFiles[0].text;
}

/**
 * Fails the build unless the bundle is self-contained (esbuild left no import
 * in it but TensorFlow.js's) and holds none of our Node-only code (nodeThreadHost.ts). gpu.js's
 * browser build still carries `require('gl')` and `require('worker_threads')`
 * inside source *strings* (kernel and worker text it never runs in a page),
 * and detectSoftwareRenderer.ts asks `process.getBuiltinModule('node:fs')`
 * only when `process` exists: neither loads anything in a browser.
 */
function checkSelfContained(metafile) {
  for (const [file, output] of Object.entries(metafile.outputs)) {
    if (!file.endsWith('.js')) continue;
    const imports = output.imports.filter((i) => i.external && !i.path.startsWith('@tensorflow/')).map((i) => i.path);
    if (imports.length > 0) throw new Error(`${file} imports ${imports.join(', ')}`);
    const text = fs.readFileSync(path.resolve(process.cwd(), file), 'utf8');
    if (text.includes('node:worker_threads') || text.includes('node:os')) throw new Error(`${file} holds Node-only thread code`);
  }
}

/**
 * The demo page (examples/browser) into build/demo/: its code bundled with
 * vega and vega-lite, loading the library from the browser bundle beside it
 * (so the page proves the bundle), plus index.html. The digits come from
 * scripts/build-digits.mjs.
 */
async function buildDemo() {
  const demoDir = path.join(root, 'build/demo');
  const bundle = path.join(outDir, 'lars-ts.js');
  if (!fs.existsSync(bundle)) throw new Error('dist/browser/lars-ts.js is missing: run `npm run build:browser` first');
  // The library's entry points stay imports of the bundles beside the page.
  const asBundle = new Map([
    [path.join(root, 'src/index.ts'), './lars-ts.js'],
    [path.join(root, 'src/backends/index.ts'), './backends.js'],
  ]);
  const libraryAsBundle = {
    name: 'library-as-bundle',
    setup(build) {
      build.onResolve({ filter: /index\.js$/ }, (args) => {
        const bundled = asBundle.get(path.resolve(args.resolveDir, args.path.replace(/\.js$/, '.ts')));
        return bundled === undefined ? undefined : { path: bundled, external: true };
      });
    },
  };
  fs.mkdirSync(demoDir, { recursive: true });
  await esbuild.build({
    ...common,
    plugins: [libraryAsBundle],
    entryPoints: [path.join(root, 'examples/browser/main.ts')],
    outfile: path.join(demoDir, 'demo.js'),
    minify: true,
    legalComments: 'eof',
  });
  fs.cpSync(outDir, demoDir, { recursive: true });
  fs.copyFileSync(path.join(root, 'examples/browser/index.html'), path.join(demoDir, 'index.html'));
  const size = (f) => (fs.statSync(path.join(demoDir, f)).size / 1e6).toFixed(2);
  console.log(`build-browser: build/demo/ (demo.js ${size('demo.js')} MB, lars-ts.js ${size('lars-ts.js')} MB, index.html)`);
}

async function main() {
  const args = process.argv.slice(2);
  if (args[0] === '--demo') return buildDemo();
  const entries = args.length > 0 ? args.map((a) => a.split('=')) : DEFAULT_ENTRIES;
  const generated = path.join(root, 'src/backends/wasm/generated/kernelsWasm.ts');
  if (!fs.existsSync(generated)) throw new Error('the WebAssembly kernels are not generated yet: run `npm run build:wasm` first');
  const worker = await workerSource();
  fs.rmSync(outDir, { recursive: true, force: true });
  const result = await esbuild.build({
    ...common,
    entryPoints: Object.fromEntries(entries.map(([entry, name]) => [name, path.join(root, entry)])),
    outdir: outDir,
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    define: { __LARS_WASM_WORKER_SOURCE__: JSON.stringify(worker) },
    legalComments: 'eof',
    metafile: true,
  });
  checkSelfContained(result.metafile);
  const sizes = Object.entries(result.metafile.outputs)
    .filter(([file]) => file.endsWith('.js'))
    .map(([file, o]) => `${path.relative(outDir, path.resolve(process.cwd(), file))} ${(o.bytes / 1e6).toFixed(2)} MB`);
  console.log(`build-browser: dist/browser/ (${sizes.join(', ')})`);
}

main().catch((error) => {
  console.error(`build-browser: ${error.message}`);
  process.exit(1);
});
