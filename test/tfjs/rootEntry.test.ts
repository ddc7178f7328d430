import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** build/src, where the compiled library lies next to this compiled test. */
const BUILD_SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/**
 * Every module reachable from `entry` through static and dynamic imports and
 * re-exports of relative paths, and every bare package specifier they import.
 */
function importGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const pending = [path.resolve(entry)];
  const specifier = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])([^'"]+)\1/g;
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    const text = fs.readFileSync(file, 'utf8');
    for (const match of text.matchAll(specifier)) {
      const spec = match[2];
      if (spec.startsWith('.')) pending.push(path.resolve(path.dirname(file), spec));
      else packages.add(spec);
    }
  }
  return { files, packages };
}

describe('the root entry lars-ts does not load TensorFlow.js', () => {
  it('no module reachable from build/src/index.js imports @tensorflow/*', () => {
    const { files, packages } = importGraph(path.join(BUILD_SRC, 'index.js'));
    expect(files.size).to.be.greaterThan(20);
    expect([...files].filter((f) => f.includes(`${path.sep}tfjs${path.sep}`))).to.deep.equal([]);
    expect([...packages].filter((p) => p.startsWith('@tensorflow/'))).to.deep.equal([]);
  });

  it('the scan does see tfjs where it is imported: build/src/tfjs/index.js reaches @tensorflow/tfjs-core', () => {
    const { packages } = importGraph(path.join(BUILD_SRC, 'tfjs', 'index.js'));
    expect([...packages]).to.include.members(['@tensorflow/tfjs-core', '@tensorflow/tfjs-layers']);
  });
});
