import { describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import * as root from '../../../lib/index.js';
// Type test: jest compiles with isolatedModules and does not check types, so only `npm run typecheck`
// (which `npm test` runs first) fails when a @ts-expect-error line below compiles.
// @ts-expect-error The fake-connection types are not part of the root export any more.
import type { AmqpChannelLike as NotInRoot } from '../../../lib/index.js';
import * as testing from '../../../lib/testing/index.js';
import type { AmqpChannelLike, AmqpConnectionFactory } from '../../../lib/testing/index.js';

interface PackageJson {
  readonly exports: Record<string, { readonly types: string; readonly default: string }>;
}

const packageJson = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as PackageJson;

describe('entry points', () => {
  it('exports the connection types and the default factory from ./testing, not from the root [type test in part: the root import is checked by npm run typecheck]', () => {
    expect(typeof testing.createAmqpConnectionManager).toBe('function');
    expect(Object.keys(root)).not.toContain('createAmqpConnectionManager');
    // Type-level: the testing types describe what `connectionFactory` accepts.
    const factory: AmqpConnectionFactory = testing.createAmqpConnectionManager;
    const transport = new root.AmqpTransport({ urls: 'amqp://localhost', connectionFactory: factory });
    expect(transport.stats().state).toBe('created');
    const unused: AmqpChannelLike | NotInRoot | undefined = undefined;
    expect(unused).toBeUndefined();
  });

  it('maps ./testing in package.json to the build output of lib/testing', () => {
    const entry = packageJson.exports['./testing'];
    expect(entry).toEqual({ types: './dist/lib/testing/index.d.ts', default: './dist/lib/testing/index.js' });
    // dist/lib/X.js is built from lib/X.ts (tsconfig.build.json: rootDir ".", outDir "dist").
    const source = entry!.default.replace(/^\.\/dist\//, '').replace(/\.js$/, '.ts');
    expect(existsSync(new URL(`../../../${source}`, import.meta.url))).toBe(true);
  });
});
