import { describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const packageJson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  exports: Record<string, { types: string; default: string }>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
};

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : []));
}

/** Optional peers and the only folder (its own entry point) allowed to import each. */
const OPTIONAL = [
  { pkg: 'prom-client', folder: 'prometheus' },
  { pkg: '@nestjs/terminus', folder: 'terminus' },
] as const;

describe('optional peers stay behind their entry points', () => {
  it.each(OPTIONAL)('$pkg is imported only under lib/$folder, mapped by ./$folder in package.json', ({ pkg, folder }) => {
    const importing = sources(join(root, 'lib'))
      .filter((file) => new RegExp(`from '${pkg.replace('/', '\\/')}(/[^']*)?'`).test(readFileSync(file, 'utf8')))
      .map((file) => file.slice(root.length));
    expect(importing.length).toBeGreaterThan(0);
    expect(importing.filter((file) => !file.startsWith(`lib/${folder}/`))).toEqual([]);
    expect(packageJson.peerDependenciesMeta[pkg]).toEqual({ optional: true });
    expect(packageJson.exports[`./${folder}`]).toEqual({ types: `./dist/lib/${folder}/index.d.ts`, default: `./dist/lib/${folder}/index.js` });
    expect(existsSync(join(root, 'lib', folder, 'index.ts'))).toBe(true);
  });
});
