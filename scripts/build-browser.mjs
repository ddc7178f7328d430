// Bundles lars-ts for browsers with esbuild: one self-contained ESM file per
// entry under dist/browser/ (platform browser, no Node built-ins), with the
// WebAssembly kernels (base64 in the generated TS) and the kernel worker's
// own source inlined, and gpu.js's browser build (WebGL2/WebGL).
//
//   node scripts/build-browser.mjs                    # the default entries below
//   node scripts/build-browser.mjs src/x.ts=name ...  # other entries: dist/browser/<name>.js
//   node scripts/build-browser.mjs --demo             # the demo page into build/demo/ (after the bundle)
//
// Needs the generated kernels (npm run build:wasm) first.
import * as esbuild from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(root, 'dist/browser');

/** Entry points and their bundle names; the lead adds `src/tfjs/index.ts` as `lars-ts-tfjs` once it exists. */
const DEFAULT_ENTRIES = [['src/index.ts', 'lars-ts']];

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
function checkSelfContained(outfile, metafile) {
  const output = metafile.outputs[path.relative(process.cwd(), outfile)] ?? Object.values(metafile.outputs)[0];
  const imports = output.imports.map((i) => i.path).filter((p) => !p.startsWith('@tensorflow/'));
  if (imports.length > 0) throw new Error(`${path.relative(root, outfile)} imports ${imports.join(', ')}`);
  const text = fs.readFileSync(outfile, 'utf8');
  if (text.includes('node:worker_threads') || text.includes('node:os')) throw new Error(`${path.relative(root, outfile)} holds Node-only thread code`);
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
  const library = path.join(root, 'src/index.ts');
  const libraryAsBundle = {
    name: 'library-as-bundle',
    setup(build) {
      build.onResolve({ filter: /src\/index\.js$/ }, (args) =>
        path.resolve(args.resolveDir, args.path.replace(/\.js$/, '.ts')) === library ? { path: './lars-ts.js', external: true } : undefined,
      );
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
  fs.copyFileSync(bundle, path.join(demoDir, 'lars-ts.js'));
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
  fs.mkdirSync(outDir, { recursive: true });
  for (const [entry, name] of entries) {
    const outfile = path.join(outDir, `${name}.js`);
    const result = await esbuild.build({
      ...common,
      entryPoints: [path.join(root, entry)],
      outfile,
      define: { __LARS_WASM_WORKER_SOURCE__: JSON.stringify(worker) },
      legalComments: 'eof',
      metafile: true,
    });
    checkSelfContained(outfile, result.metafile);
    const bytes = fs.statSync(outfile).size;
    const inputs = Object.keys(result.metafile.inputs).length;
    console.log(`build-browser: ${path.relative(root, outfile)} (${(bytes / 1e6).toFixed(2)} MB from ${inputs} files)`);
  }
}

main().catch((error) => {
  console.error(`build-browser: ${error.message}`);
  process.exit(1);
});
