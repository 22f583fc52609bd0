import { afterAll, afterEach, beforeAll, expect, it, jest } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { BrokerTestScope } from '../../fixtures/amqp-integration.fixture.js';
import { muteNestLogger, type MutedLogger } from '../../fixtures/logger.fixture.js';
import { amqpHarness, browseAll, seedDeadLetters, type QueueAccessHarness } from '../../fixtures/queue-access.fixture.js';
import { AMQP_URL, describeWithBroker, uniqueName } from '../../support/broker.js';

jest.setTimeout(120_000);

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../../', import.meta.url));
const cli = `${root}dist/lib/cli/main.js`;
const connectionName = uniqueName('dlq-cli');

interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built CLI as a child process (stdin is not a terminal), with AMQP_URL from the environment. */
async function dlq(args: readonly string[], env: Record<string, string> = { AMQP_URL }): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args, '--connection-name', connectionName], {
      env: { PATH: process.env.PATH ?? '', ...env },
      timeout: 30_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failed.code === 'number' ? failed.code : -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

let logger: MutedLogger;
beforeAll(async () => {
  logger = muteNestLogger();
  // The CLI under test is the shipped build, so build it first (a few seconds).
  await run(process.execPath, [`${root}node_modules/typescript/bin/tsc`, '-p', `${root}tsconfig.build.json`], { cwd: root, timeout: 110_000 });
}, 120_000);
afterAll(() => logger.restore());

const scope = new BrokerTestScope();
let h: QueueAccessHarness;
afterEach(() => scope.release());

describeWithBroker('dlq CLI against RabbitMQ (child process)', () => {
  it('lists, peeks, redrives and purges with the right exit codes', async () => {
    h = await amqpHarness(scope)();
    const { errors, billing } = h.names;
    await seedDeadLetters(h, 'billing', ['a', 'b', 'c'], { kind: 'handler', reason: 'boom', consumer: 'Billing.handle' });
    await seedDeadLetters(h, 'shipping', ['d'], { kind: 'validation', reason: 'bad', consumer: 'Shipping.handle' }, 'ParcelSent');

    const listed = await dlq(['dlq', 'list', errors, '--offset', '1', '--limit', '2', '--json']);
    expect(listed.code).toBe(0);
    const page = JSON.parse(listed.stdout) as { total: number; entries: { messageId: string; originQueue: string }[] };
    expect(page.total).toBe(4);
    expect(page.entries.map((e) => e.messageId)).toEqual(['b', 'c']);
    expect(page.entries[0].originQueue).toBe(billing);

    const table = await dlq(['dlq', 'list', errors]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/MESSAGE ID/);
    expect(table.stdout).toMatch(/\bd\s+ParcelSent\s+validation/);

    const peeked = await dlq(['dlq', 'peek', errors, 'b']);
    expect(peeked.code).toBe(0);
    expect(peeked.stdout).toMatch(/failure kind:\s+handler/);
    expect(peeked.stdout).toContain('{"id":"b"}');
    expect((await dlq(['dlq', 'peek', errors, 'zzz'])).code).toBe(1);

    // The error queue is not "<billing>.error": the CLI, which knows no topology, refuses the recorded
    // origin until the operator names it, and leaves the messages (exit 1).
    const refused = await dlq(['dlq', 'redrive', errors, '--id', 'a']);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain(`left (destination refused): a -> ${billing}`);
    expect(await browseAll(h.transport, errors)).toEqual(['a', 'b', 'c', 'd']);
    const dry = await dlq(['dlq', 'redrive', errors, '--kind', 'handler', '--older-than', '0s', '--to', billing, '--dry-run', '--json']);
    expect(dry.code).toBe(0);
    expect((JSON.parse(dry.stdout) as { moved: unknown[] }).moved).toHaveLength(3);
    const moved = await dlq(['dlq', 'redrive', errors, '--id', 'a', '--id', 'c', '--to', billing]);
    expect(moved.code).toBe(0);
    expect(moved.stdout).toContain(`moved: a -> ${billing}`);
    expect(await browseAll(h.transport, billing)).toEqual(['a', 'c']);
    expect(await browseAll(h.transport, errors)).toEqual(['b', 'd']);

    expect((await dlq(['dlq', 'purge', errors])).code).toBe(2);
    const purged = await dlq(['dlq', 'purge', errors, '--yes']);
    expect(purged).toMatchObject({ code: 0 });
    expect(purged.stdout).toContain('purged 2 message(s)');
  });

  it('reports usage errors with 2 and never prints the password', async () => {
    const usage = await dlq(['dlq', 'redrive', 'q']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('needs exactly one selection');
    expect((await dlq(['dlq', 'list', 'q'], {})).code).toBe(2);
    expect((await dlq(['--help'])).stdout).toContain('Usage: nestjs-typed-messaging');
    // A password in argv is readable by every user through ps: refused before anything connects.
    const inArgv = await dlq(['dlq', 'list', 'q', '--url', 'amqp://guest:Sup3rSecret@127.0.0.1:1', '--timeout', '500'], {});
    expect(inArgv.code).toBe(2);
    expect(inArgv.stderr).toMatch(/--url carries a password.*AMQP_URL.*--url-file/);
    expect(inArgv.stdout + inArgv.stderr).not.toContain('Sup3rSecret');
    // From the environment or a file, it is used and still never printed.
    const fromEnv = await dlq(['dlq', 'list', 'q', '--timeout', '500', '--verbose'], { AMQP_URL: 'amqp://guest:Sup3rSecret@127.0.0.1:1' });
    expect(fromEnv.code).toBe(1);
    expect(fromEnv.stderr).toContain('guest:***@');
    expect(fromEnv.stdout + fromEnv.stderr).not.toContain('Sup3rSecret');
    const dir = await mkdtemp(join(tmpdir(), 'ntm-dlq-cli-'));
    try {
      await writeFile(join(dir, 'url'), `${AMQP_URL}\n`, { mode: 0o600 });
      const missing = uniqueName('dlq-cli.missing');
      const fromFile = await dlq(['dlq', 'list', missing, '--url-file', join(dir, 'url')], {});
      expect(fromFile.stderr).not.toMatch(/No broker URL|readable by other users/);
      expect(fromFile.code).toBe(1); // connected, then the queue does not exist
      expect(fromFile.stderr).toContain(missing);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('prints hostile header names and values, message ids, types, queue names and bodies escaped, in text and JSON', async () => {
    h = await amqpHarness(scope)();
    const { errors } = h.names;
    // Clear screen, set the window title (OSC ... BEL), a one-byte C1 CSI colour, DEL, a CR that
    // overwrites the line, and a newline that would forge a field.
    const evil = '\u001b[2J\u001b]0;pwned\u0007\u009b31m\u007f\rfailure kind: validation\nforged';
    const id = `id-${evil}`;
    await h.transport.publish({
      exchange: '',
      routingKey: errors,
      body: Buffer.from(JSON.stringify({ note: evil })),
      properties: {
        messageId: id,
        type: `Type${evil}`,
        contentType: 'application/json',
        headers: { 'x-failure-kind': 'handler', 'x-failure-reason': `boom${evil}`, 'x-failure-queue': `origin${evil}`, [`x-evil${evil}`]: `value${evil}` },
      },
      mandatory: true,
    });
    const rawControl = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;
    const listed = await dlq(['dlq', 'list', errors]);
    const peeked = await dlq(['dlq', 'peek', errors, id]);
    const json = await dlq(['dlq', 'peek', errors, id, '--json']);
    for (const result of [listed, peeked, json]) {
      expect(result.code).toBe(0);
      expect(result.stdout + result.stderr).not.toMatch(rawControl);
    }
    expect(peeked.stdout).toContain('x-evil\\x1b[2J\\x1b]0;pwned\\x07\\x9b31m\\x7f\\rfailure kind: validation\\nforged: value');
    expect(peeked.stdout).toMatch(/message id:\s+id-\\x1b\[2J/);
    expect(peeked.stdout).toMatch(/reason:\s+boom\\x1b\[2J/);
    expect(peeked.stdout.split('\n').filter((line) => line.startsWith('failure kind:'))).toEqual(['failure kind:         handler']);
    expect(listed.stdout).toContain('id-\\x1b[2J');
    const parsed = JSON.parse(json.stdout) as { messageId: string; headers: Record<string, string> };
    expect(parsed.messageId).toBe(id);
    expect(parsed.headers['x-failure-reason']).toBe(`boom${evil}`);
  });
});
