import { expect } from 'chai';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import ts from 'typescript';

/**
 * Every TypeScript or JavaScript block of the README runs as pasted: each is
 * type-checked (strict) against the sources and then run, with `lars-ts` and
 * `lars-ts/…` resolved to this build. A README example that stopped working
 * fails here.
 */

const root = fileURLToPath(new URL('../../..', import.meta.url));
const outDir = join(root, 'build', 'readme-blocks');

/** The fenced ts/js blocks of a Markdown file, with their line numbers. */
export function codeBlocks(markdown: string): { line: number; lang: string; code: string }[] {
  const blocks: { line: number; lang: string; code: string }[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(ts|typescript|js|javascript)\s*$/.exec(lines[i]);
    if (open === null) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !lines[end].startsWith('```')) end++;
    blocks.push({ line: start, lang: open[1], code: lines.slice(start, end).join('\n') });
    i = end;
  }
  return blocks;
}

/** The block with `lars-ts` imports pointed at this build (src for type-checking, build for running). */
function resolveImports(code: string, base: string, ext: string): string {
  return code.replace(/from '(lars-ts)(\/[\w-]+)?'/g, (_m, _pkg: string, sub: string | undefined) => `from '${base}${sub ?? ''}/index${ext}'`);
}

describe('the README', function () {
  this.timeout(120_000);
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const blocks = codeBlocks(readme);

  it('has code blocks to check (the extraction works)', () => {
    expect(blocks.length).to.be.greaterThan(1);
    expect(codeBlocks('x\n```ts\nconst a = 1;\n```\n```sh\nls\n```\n')).to.deep.equal([{ line: 2, lang: 'ts', code: 'const a = 1;' }]);
  });

  it('type-checks every block under strict TypeScript', () => {
    mkdirSync(outDir, { recursive: true });
    const files = blocks.map((b, i) => {
      const file = join(outDir, `block${i}.ts`);
      writeFileSync(file, `${resolveImports(b.code, '../../src', '.js')}\nexport {};\n`);
      return file;
    });
    const program = ts.createProgram(files, {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      skipLibCheck: true,
      types: ['node'],
    });
    const problems = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file !== undefined && files.includes(d.file.fileName))
      .map((d) => {
        const block = blocks[files.indexOf(d.file!.fileName)];
        const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0);
        return `README.md line ${block.line + line + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
      });
    expect(problems).to.deep.equal([]);
  });

  for (const [i, block] of blocks.entries()) {
    it(`runs the block at line ${block.line}`, async () => {
      mkdirSync(outDir, { recursive: true });
      const js = ts.transpileModule(resolveImports(block.code, '../src', '.js'), {
        compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
      }).outputText;
      const file = join(outDir, `block${i}.mjs`);
      writeFileSync(file, js);
      await import(pathToFileURL(file).href);
    });
  }
});
