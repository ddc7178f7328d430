import { expect } from 'chai';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const src = join(root, 'src');

/** Every .ts file under `dir`. */
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** The relative imports of a file, type-only ones and re-exports included, as resolved .ts paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:import|export)\s[^'"]*?from\s+'(\.{1,2}\/[^']+)'|import\(\s*'(\.{1,2}\/[^']+)'\s*\)/g)].map((m) => m[1] ?? m[2]);
  return specs.map((s) => resolve(dirname(file), s).replace(/\.js$/, '.ts'));
}

/** One import circle among `files`, as a list of paths, or null. */
function findCircle(graph: Map<string, string[]>): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (f: string): string[] | null => {
    if (state.get(f) === 'done') return null;
    if (state.get(f) === 'open') return [...stack.slice(stack.indexOf(f)), f];
    state.set(f, 'open');
    stack.push(f);
    for (const next of graph.get(f) ?? []) {
      const circle = visit(next);
      if (circle !== null) return circle;
    }
    stack.pop();
    state.set(f, 'done');
    return null;
  };
  for (const f of graph.keys()) {
    const circle = visit(f);
    if (circle !== null) return circle;
  }
  return null;
}

describe('the source layout', () => {
  const files = sources(src).filter((f) => !f.includes(`${join('wasm', 'generated')}`));
  const graph = new Map(files.map((f) => [f, importsOf(f).filter((t) => t.startsWith(src))]));

  it('has no import circle under src/, type-only imports included', () => {
    const circle = findCircle(graph);
    expect(circle?.map((f) => relative(root, f)).join(' → ') ?? null).to.equal(null);
  });

  it('finds a circle when there is one (the check can fail)', () => {
    const a = join(src, 'a.ts');
    const b = join(src, 'b.ts');
    expect(findCircle(new Map([[a, [b]], [b, [a]]]))).to.deep.equal([a, b, a]);
  });

  it('keeps src/core below everything else: it imports only core, numeric, quantization and util', () => {
    const allowed = ['core', 'numeric', 'quantization', 'util', 'models/ParameterLayout.ts'].map((d) => join(src, d));
    for (const f of files.filter((f) => f.startsWith(join(src, 'core')))) {
      for (const t of graph.get(f)!) expect(allowed.some((a) => t.startsWith(a)), `${relative(root, f)} imports ${relative(root, t)}`).to.equal(true);
    }
  });

  it('keeps backends free of models and training', () => {
    for (const f of files.filter((f) => f.startsWith(join(src, 'backends')))) {
      for (const t of graph.get(f)!) {
        const bad = ['models', 'training'].some((d) => t.startsWith(join(src, d)));
        expect(bad, `${relative(root, f)} imports ${relative(root, t)}`).to.equal(false);
      }
    }
  });
});
