import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import ts from 'typescript';

/**
 * Type-checks the README's TypeScript code blocks, so the README cannot drift from the code.
 *
 * Rules (the README's contract with this checker):
 * - A block fenced `ts` or `typescript` is checked; other languages (`bash`, `json`, `text`, ...) and
 *   untagged fences are skipped, but an untagged block that looks like TypeScript (an `import ... from`,
 *   a decorator line) is reported, so a forgotten tag cannot hide a block.
 * - Each block is a module of its own (`moduleDetection: force`), checked with the project's
 *   tsconfig.json. Imports of the package (`nestjs-typed-messaging`, `nestjs-typed-messaging/testing`, ...)
 *   resolve to lib/ through package.json's `exports`.
 * - A line `// <name>.ts` (optionally followed by `: comment`) at the start of a line begins a file of
 *   that name; blocks import each other's files as users would (`./orders.contracts.js`).
 * - A fragment that cannot stand alone may be preceded (directly, blank lines allowed) by an HTML comment
 *   `<!-- typecheck-preamble ... -->` whose text is prepended when checking. Keep it rare: users copy
 *   these blocks, so a block should compile as it is.
 */

/** One code block of a markdown file. */
export interface MarkdownBlock {
  /** The fence's language, lower case; `''` when untagged. */
  readonly lang: string;
  /** 1-based line of the first line of code (after the fence). */
  readonly line: number;
  readonly code: string;
  /** Text of a `typecheck-preamble` comment right before the fence, if any. */
  readonly preamble: string | undefined;
}

/** A TypeScript file made from (part of) a block. */
export interface ReadmeFile {
  readonly fileName: string;
  readonly text: string;
  /** README line of the block's first line of code. */
  readonly blockLine: number;
  /** README line of the file's first line of code; the preamble's lines come before it. */
  readonly line: number;
  readonly preambleLines: number;
}

/** A problem found, with its place in the README. */
export interface ReadmeDiagnostic {
  readonly blockLine: number;
  readonly readmeLine: number | undefined;
  readonly message: string;
}

const PREAMBLE = /^<!--\s*typecheck-preamble\b([\s\S]*)-->$/;

/** The text of a `typecheck-preamble` comment ending right above line `fence` (blank lines allowed). */
function preambleBefore(lines: readonly string[], fence: number): string | undefined {
  let end = fence - 1;
  while (end >= 0 && lines[end]!.trim() === '') end--;
  if (end < 0 || !lines[end]!.trimEnd().endsWith('-->')) return undefined;
  let start = end;
  while (start >= 0 && !lines[start]!.includes('<!--')) start--;
  if (start < 0) return undefined;
  return PREAMBLE.exec(lines.slice(start, end + 1).join('\n').trim())?.[1];
}

/** The fenced code blocks of a markdown text, in order. */
export function markdownBlocks(markdown: string): MarkdownBlock[] {
  const lines = markdown.split('\n');
  const blocks: MarkdownBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(`{3,})\s*([\w+-]*)/.exec(lines[i]!);
    if (!open) continue;
    const fence = open[1]!;
    let end = i + 1;
    while (end < lines.length && !lines[end]!.startsWith(fence)) end++;
    blocks.push({ lang: open[2]!.toLowerCase(), line: i + 2, code: lines.slice(i + 1, end).join('\n'), preamble: preambleBefore(lines, i) });
    i = end;
  }
  return blocks;
}

/** Whether a block is checked as TypeScript. */
export function isTypeScript(block: MarkdownBlock): boolean {
  return block.lang === 'ts' || block.lang === 'typescript';
}

/** An untagged block that looks like TypeScript (it would escape the check). */
export function looksLikeUntaggedTypeScript(block: MarkdownBlock): boolean {
  return block.lang === '' && (/^\s*import\s.+\sfrom\s+['"]/m.test(block.code) || /^\s*@[A-Z]\w*\(/m.test(block.code));
}

/** Splits a block into files at `// <name>.ts` lines; the part before the first one is named after the block. */
export function blockFiles(block: MarkdownBlock, dir: string): ReadmeFile[] {
  const lines = block.code.split('\n');
  const starts: { index: number; name: string }[] = [];
  lines.forEach((line, index) => {
    const named = /^\/\/ ([\w.-]+\.ts)\b/.exec(line);
    if (named) starts.push({ index, name: named[1]! });
  });
  if (starts[0]?.index !== 0) starts.unshift({ index: 0, name: `readme-line-${block.line}.ts` });
  const preamble = block.preamble === undefined ? '' : `${block.preamble.trim()}\n`;
  const preambleLines = preamble === '' ? 0 : preamble.split('\n').length - 1;
  return starts.map((start, n) => {
    const body = lines.slice(start.index, starts[n + 1]?.index ?? lines.length).join('\n');
    const first = n === 0;
    return {
      fileName: join(dir, start.name),
      text: `${first ? preamble : ''}${body}\n`,
      blockLine: block.line,
      line: block.line + start.index,
      preambleLines: first ? preambleLines : 0,
    };
  });
}

/** `nestjs-typed-messaging[/sub]` → lib/<...>.ts, from package.json's `exports` (`types` entries). */
export function packageEntryPoints(root: string): Map<string, string> {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; exports: Record<string, { types: string }> };
  const entries = new Map<string, string>();
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    const source = target.types.replace(/^\.\/dist\//, '').replace(/\.d\.ts$/, '.ts');
    entries.set(subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`, join(root, source));
  }
  return entries;
}

/** Type-checks the files with the project's tsconfig.json; returns the problems found in them. */
export function typecheckReadmeFiles(root: string, files: readonly ReadmeFile[]): { diagnostics: ReadmeDiagnostic[]; program: ts.Program } {
  const configPath = join(root, 'tsconfig.json');
  const config = ts.readConfigFile(configPath, (path) => ts.sys.readFile(path));
  if (config.error) throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, dirname(configPath));
  const options: ts.CompilerOptions = { ...parsed.options, noEmit: true, moduleDetection: ts.ModuleDetectionKind.Force, declaration: false, sourceMap: false };
  const virtual = new Map(files.map((file) => [file.fileName, file]));
  const entries = packageEntryPoints(root);
  const host = ts.createCompilerHost(options, true);
  const fileExists = host.fileExists.bind(host);
  const readFile = host.readFile.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  const dirs = new Set([...virtual.keys()].map((name) => dirname(name)));
  const directoryExists = host.directoryExists?.bind(host);
  host.fileExists = (name) => virtual.has(name) || fileExists(name);
  // The virtual files' directory exists for module resolution, which checks it before probing files.
  host.directoryExists = (name) => dirs.has(name) || (directoryExists ? directoryExists(name) : ts.sys.directoryExists(name));
  host.readFile = (name) => virtual.get(name)?.text ?? readFile(name);
  host.getSourceFile = (name, language, onError, create) => {
    const file = virtual.get(name);
    return file ? ts.createSourceFile(name, file.text, language, true) : getSourceFile(name, language, onError, create);
  };
  const cache = ts.createModuleResolutionCache(root, (name) => name, options);
  host.resolveModuleNameLiterals = (literals, containingFile, redirected, compilerOptions, containingSourceFile) =>
    literals.map((literal) => {
      const own = entries.get(literal.text);
      if (own) return { resolvedModule: { resolvedFileName: own, extension: ts.Extension.Ts, isExternalLibraryImport: false } };
      const mode = ts.getModeForUsageLocation(containingSourceFile, literal, compilerOptions);
      return ts.resolveModuleName(literal.text, containingFile, compilerOptions, host, cache, redirected, mode);
    });
  const program = ts.createProgram({ rootNames: [...virtual.keys()], options, host });
  const diagnostics = ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file === undefined || virtual.has(d.file.fileName))
    .map((d): ReadmeDiagnostic => {
      const file = d.file ? virtual.get(d.file.fileName) : undefined;
      const at = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : undefined;
      const readmeLine = file && at !== undefined ? (at < file.preambleLines ? undefined : file.line + at - file.preambleLines) : undefined;
      const where = readmeLine === undefined ? (file ? 'preamble' : 'project') : `README.md:${readmeLine}`;
      return {
        blockLine: file?.blockLine ?? 0,
        readmeLine,
        message: `${where}: TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`,
      };
    });
  return { diagnostics, program };
}
