import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, type CliIo } from '../../../lib/cli/index.js';

function captureIo(): CliIo & { readonly stdout: string[]; readonly stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => void stdout.push(t), err: (t) => void stderr.push(t), interactive: false, ask: async () => '' };
}

describe('dlq CLI: broker URL from --url-file', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ntm-cli-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reads the URL from the file (first non-empty line) and never prints the password', async () => {
    const file = join(dir, 'amqp-url');
    // Nothing listens on port 1: the connection fails fast, and its error names the URL masked.
    await writeFile(file, '\n  amqp://guest:FileSecret42@127.0.0.1:1  \n', { mode: 0o600 });
    const io = captureIo();
    const code = await runCli(['dlq', 'list', 'q', '--url-file', file, '--timeout', '500'], {}, io);
    expect(code).toBe(1);
    expect(io.stderr.join('\n')).toContain('amqp://guest:***@127.0.0.1:1');
    expect([...io.stdout, ...io.stderr].join('\n')).not.toContain('FileSecret42');
    expect(io.stderr.join('\n')).not.toMatch(/readable by other users/);
  });

  it('warns when the file is readable by other users, and refuses a missing or empty file as a usage error', async () => {
    const open = join(dir, 'open-url');
    await writeFile(open, 'amqp://guest:x@127.0.0.1:1\n');
    await chmod(open, 0o644);
    const io = captureIo();
    expect(await runCli(['dlq', 'list', 'q', '--url-file', open, '--timeout', '500'], {}, io)).toBe(1);
    expect(io.stderr.join('\n')).toMatch(/warning: .*open-url is readable by other users \(mode 644\)/);

    const missing = captureIo();
    expect(await runCli(['dlq', 'list', 'q', '--url-file', join(dir, 'nope')], {}, missing)).toBe(2);
    expect(missing.stderr.join('\n')).toMatch(/cannot read --url-file .*nope: ENOENT/);
    const empty = join(dir, 'empty');
    await writeFile(empty, '\n \n', { mode: 0o600 });
    const blank = captureIo();
    expect(await runCli(['dlq', 'list', 'q', '--url-file', empty], {}, blank)).toBe(2);
    expect(blank.stderr.join('\n')).toMatch(/--url-file .*empty holds no URL/);
  });

  it('escapes control characters in what it prints to standard error, such as a usage error quoting an argument', async () => {
    const io = captureIo();
    const code = await runCli(['dlq', 'l\u001b[2Jist\u009b31m', 'q'], {}, io);
    expect(code).toBe(2);
    expect(io.stderr.join('\n')).toContain('Unknown dlq command "l\\x1b[2Jist\\x9b31m"');
    expect(io.stderr.join('\n')).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
  });
});
