import { describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as root from '../../../lib/index.js';
import * as microservices from '../../../lib/microservices/index.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('the microservices entry point', () => {
  it('is mapped in package.json and exports the server, client and context, none of which the root exports', () => {
    const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { exports: Record<string, { default: string }> };
    expect(pkg.exports['./microservices']).toEqual({ types: './dist/lib/microservices/index.d.ts', default: './dist/lib/microservices/index.js' });
    expect(existsSync(join(repo, 'lib/microservices/index.ts'))).toBe(true);
    expect(typeof microservices.MessagingServer).toBe('function');
    expect(typeof microservices.MessagingClient).toBe('function');
    expect(Object.keys(root)).not.toContain('MessagingServer');
    expect(Object.keys(root)).not.toContain('MessagingClient');
  });

  it('is the only part of lib that imports @nestjs/microservices, so apps without it never load it', () => {
    const importers = sources(join(repo, 'lib'))
      .filter((file) => /from '@nestjs\/microservices/.test(readFileSync(file, 'utf8')))
      .map((file) => file.slice(repo.length));
    expect(importers.length).toBeGreaterThan(0);
    expect(importers.filter((file) => !file.startsWith('lib/microservices/'))).toEqual([]);
  });
});
