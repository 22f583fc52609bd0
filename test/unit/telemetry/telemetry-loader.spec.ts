import { describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTelemetry, type MessagingTelemetryEntry } from '../../../lib/module/telemetry.loader.js';
import { MessagingEventBus } from '../../../lib/observability/messaging-event.bus.js';
import { MemoryTransport } from '../../../lib/transports/memory/index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

function notFound(): Error {
  return Object.assign(new Error("Cannot find package '@opentelemetry/api'"), { code: 'ERR_MODULE_NOT_FOUND' });
}

function fakeEntry(): { entry: () => Promise<MessagingTelemetryEntry>; loaded: () => number } {
  let count = 0;
  return {
    entry: async () => {
      count++;
      return { createMessagingTelemetry: () => ({ publish: undefined, consume: undefined, close: () => undefined }) };
    },
    loaded: () => count,
  };
}

/** Every module lib/index.ts reaches through static relative imports, and the bare packages they import. */
function staticImportGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    const source = readFileSync(file, 'utf8');
    // Static `import ... from '...'` and `export ... from '...'`; type-only imports are erased, so skipped.
    for (const match of source.matchAll(/^(?:import|export)\s+(?!type\s)[^;]*?from\s+'([^']+)'/gms)) {
      const specifier = match[1]!;
      if (!specifier.startsWith('.')) packages.add(specifier);
      else pending.push(join(dirname(file), specifier.replace(/\.js$/, '.ts')));
    }
  }
  return { files, packages };
}

describe('the telemetry loader', () => {
  const logger = new Logger('test');

  it('loads nothing when @opentelemetry/api is not installed', async () => {
    const { entry, loaded } = fakeEntry();
    const hooks = await loadTelemetry(undefined, new MemoryTransport(), new MessagingEventBus(), logger, { api: () => Promise.reject(notFound()), entry });
    expect(hooks).toBeUndefined();
    expect(loaded()).toBe(0);
  });

  it('warns when options are given but the API is missing, and when the API fails to load for another reason', async () => {
    const warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
    const { entry } = fakeEntry();
    await loadTelemetry({ linkOrParent: 'parent' }, new MemoryTransport(), new MessagingEventBus(), logger, { api: () => Promise.reject(notFound()), entry });
    await loadTelemetry(undefined, new MemoryTransport(), new MessagingEventBus(), logger, { api: () => Promise.reject(new SyntaxError('broken')), entry });
    expect(warn.mock.calls.map(([message]) => message)).toEqual([expect.stringContaining('not installed'), expect.stringContaining('broken')]);
  });

  it('telemetry: false imports nothing at all', async () => {
    const api = jest.fn(async () => ({}));
    const { entry, loaded } = fakeEntry();
    expect(await loadTelemetry(false, new MemoryTransport(), new MessagingEventBus(), logger, { api, entry })).toBeUndefined();
    expect(api).not.toHaveBeenCalled();
    expect(loaded()).toBe(0);
  });

  it('loads the real entry point when the API resolves; with no SDK registered it installs no hook at all', async () => {
    const hooks = await loadTelemetry(undefined, new MemoryTransport(), new MessagingEventBus(), logger);
    expect(hooks).toBeDefined();
    // Nothing to record into: no per-message middleware, so the hot path is exactly the untraced one.
    expect(hooks?.publish).toBeUndefined();
    expect(hooks?.consume).toBeUndefined();
    hooks?.close();
  });
});

describe('the ./opentelemetry entry point', () => {
  it('maps to lib/telemetry in package.json', () => {
    const exports = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, { default: string }> }).exports;
    expect(exports['./opentelemetry']).toEqual({ types: './dist/lib/telemetry/index.d.ts', default: './dist/lib/telemetry/index.js' });
    expect(existsSync(join(root, 'lib/telemetry/index.ts'))).toBe(true);
  });

  it('is never loaded by the root entry point: no static import reaches lib/telemetry or @opentelemetry/*', () => {
    const { files, packages } = staticImportGraph(join(root, 'lib/index.ts'));
    expect(files.size).toBeGreaterThan(50);
    expect([...files].filter((file) => file.includes(`${join('lib', 'telemetry')}`))).toEqual([]);
    expect([...packages].filter((name) => name.startsWith('@opentelemetry/'))).toEqual([]);
  });
});
