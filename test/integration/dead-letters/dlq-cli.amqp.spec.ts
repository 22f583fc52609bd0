import { afterAll, afterEach, beforeAll, expect, it, jest } from '@jest/globals';
import { execFile } from 'node:child_process';
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
    const refused = await dlq(['dlq', 'list', 'q', '--url', 'amqp://guest:Sup3rSecret@127.0.0.1:1', '--timeout', '500', '--verbose']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('***');
    expect(refused.stdout + refused.stderr).not.toContain('Sup3rSecret');
  });
});
