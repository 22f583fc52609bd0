import { beforeAll, describe, expect, it, jest } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type ts from 'typescript';
import {
  blockFiles,
  isTypeScript,
  looksLikeUntaggedTypeScript,
  markdownBlocks,
  typecheckReadmeFiles,
  type ReadmeDiagnostic,
  type ReadmeFile,
} from '../../support/readme-blocks.js';

// Building one program over lib/ and every block takes several seconds, more on a loaded machine.
jest.setTimeout(180_000);

const root = fileURLToPath(new URL('../../../', import.meta.url));
// The virtual files live in a directory of the project (so package.json's "type": "module" applies), never written to disk.
const dir = join(root, 'readme-blocks');
const blocks = markdownBlocks(readFileSync(join(root, 'README.md'), 'utf8'));
const tsBlocks = blocks.filter(isTypeScript);

// The checker's own controls: a valid file using the package and a subpath, and a file with known errors.
const controls: ReadmeFile[] = [
  {
    fileName: join(dir, 'control-good.ts'),
    text:
      "import { defineContract, MemoryTransport } from 'nestjs-typed-messaging';\n" +
      "import type { MessagingServer } from 'nestjs-typed-messaging/microservices';\n" +
      "export const c = defineContract({ name: 'x', exchange: 'x', schema: { '~standard': { version: 1, vendor: 'v', validate: (v: unknown) => ({ value: v as { n: number } }) } } });\n" +
      'export const t: MemoryTransport = new MemoryTransport();\nexport type S = MessagingServer;\n',
    line: 1,
    blockLine: -1,
    preambleLines: 0,
  },
  {
    fileName: join(dir, 'control-bad.ts'),
    text: "import { defineContract, NotExported } from 'nestjs-typed-messaging';\nconst n: number = 'text';\ndefineContract(42);\n",
    line: 1,
    blockLine: -2,
    preambleLines: 0,
  },
];

let diagnostics: ReadmeDiagnostic[];
let program: ts.Program;
beforeAll(() => {
  // One program for the README and the controls: building it costs most of this file's time.
  ({ diagnostics, program } = typecheckReadmeFiles(root, [...tsBlocks.flatMap((block) => blockFiles(block, dir)), ...controls]));
});

describe('README code blocks compile against the code', () => {
  it('finds the TypeScript blocks, and no untagged block that looks like TypeScript', () => {
    expect(tsBlocks.length).toBeGreaterThanOrEqual(15);
    expect(blocks.filter(looksLikeUntaggedTypeScript).map((block) => `README.md:${block.line}`)).toEqual([]);
    // Two blocks naming the same file would check only one of them.
    const names = tsBlocks.flatMap((block) => blockFiles(block, dir)).map((file) => file.fileName);
    expect(names.filter((name, i) => names.indexOf(name) !== i)).toEqual([]);
  });

  it('no diagnostic falls outside a block (a preamble or the project)', () => {
    expect(diagnostics.filter((d) => d.blockLine >= 0 && d.readmeLine === undefined).map((d) => d.message)).toEqual([]);
  });

  it.each(tsBlocks.map((block) => [block.line, block] as const))('the block at README.md:%i type-checks', (line) => {
    expect(diagnostics.filter((d) => d.blockLine === line).map((d) => d.message)).toEqual([]);
  });
});

describe('the README checker itself', () => {
  it('resolves the package and its subpaths to lib/ (not dist/), and reports type errors in a block', () => {
    expect(program.getSourceFile(join(root, 'lib/index.ts'))).toBeDefined();
    expect(program.getSourceFile(join(root, 'lib/microservices/index.ts'))).toBeDefined();
    expect(program.getSourceFiles().filter((source) => source.fileName.startsWith(join(root, 'dist'))).map((source) => source.fileName)).toEqual([]);
    expect(diagnostics.filter((d) => d.blockLine === -1)).toEqual([]);
    const codes = diagnostics.filter((d) => d.blockLine === -2).map((d) => /TS(\d+)/.exec(d.message)?.[1]);
    expect(codes).toEqual(expect.arrayContaining(['2305', '2322', '2345']));
  });

  it('splits a block at "// <name>.ts" lines, prepends a typecheck-preamble, and skips other languages', () => {
    const markdown = [
      'text',
      '<!-- typecheck-preamble',
      'declare const x: number;',
      '-->',
      '```ts',
      '// a.ts: first',
      'export const a = x;',
      '// b.ts',
      "import { a } from './a.js';",
      '```',
      '```bash',
      'npm test',
      '```',
      '```',
      "import { a } from './a.js';",
      '```',
    ].join('\n');
    const [ts, bash, untagged] = markdownBlocks(markdown);
    expect([ts!.lang, bash!.lang, untagged!.lang]).toEqual(['ts', 'bash', '']);
    expect([isTypeScript(ts!), isTypeScript(bash!), looksLikeUntaggedTypeScript(untagged!)]).toEqual([true, false, true]);
    const files = blockFiles(ts!, '/d');
    expect(files.map((f) => [f.fileName, f.line, f.preambleLines])).toEqual([
      ['/d/a.ts', 6, 1],
      ['/d/b.ts', 8, 0],
    ]);
    expect(files[0]!.text).toBe('declare const x: number;\n// a.ts: first\nexport const a = x;\n');
  });
});
