import { afterAll, afterEach, beforeAll, expect, it, jest } from '@jest/globals';
import {
  AmqpTransport,
  ConnectionBlockedError,
  type ConnectionBlockedEvent,
  type ConnectionUnblockedEvent,
} from '../../../lib/index.js';
import { formatReport, startLoadApp, whenProgress, type LoadApp } from '../../fixtures/load-scenario.fixture.js';
import { muteNestLogger, type MutedLogger } from '../../fixtures/logger.fixture.js';
import { sleep, waitFor } from '../../fixtures/wait-for.fixture.js';
import { uniqueName } from '../../support/broker.js';
import { describeWithPrivateNodes, PrivateRabbitNode } from '../../support/rabbitmq-node.js';

jest.setTimeout(180_000);

let logger: MutedLogger;
let node: PrivateRabbitNode | undefined;
const apps: LoadApp[] = [];
const transports: AmqpTransport[] = [];

function report(line: string): void {
  process.stderr.write(`${line}\n`);
}

describeWithPrivateNodes('a private RabbitMQ node: restart, crash and resource alarms', () => {
  beforeAll(async () => {
    logger = muteNestLogger();
    node = await PrivateRabbitNode.create({ prefix: 'ntmfault' });
    await node.start(120_000);
  }, 150_000);
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close().catch(() => undefined);
    for (const transport of transports.splice(0)) await transport.close().catch(() => undefined);
  });
  afterAll(async () => {
    await node?.destroy();
    logger?.restore();
  }, 60_000);

  async function loadApp(queueType: 'classic' | 'quorum'): Promise<LoadApp> {
    if (!node) throw new Error('no node');
    const app = await startLoadApp({ urls: node.url, queueType, transport: { heartbeatSeconds: 2, reconnectDelayMs: 250 } });
    apps.push(app);
    return app;
  }

  for (const queueType of ['classic', 'quorum'] as const) {
    it(`${queueType} queue: the broker restarts (stop_app/start_app) under load; no confirmed message lost`, async () => {
      const app = await loadApp(queueType);
      let downAt = 0;
      let upAt = 0;
      const result = await app.run(5_000, {
        window: 200,
        drainTimeoutMs: 90_000,
        during: async (progress) => {
          await whenProgress(progress, 1_500);
          downAt = Date.now();
          await node!.ctl(['stop_app']);
          await sleep(500);
          // The listener opens before start_app returns, and the client is back by then: time the port.
          const portOpened = node!.waitForPort().then(() => (upAt = Date.now()));
          await node!.ctl(['start_app']);
          await portOpened;
        },
      });
      const resumedAt = Math.min(...[...app.firstSeenAt.values()].filter((at) => at > upAt));
      report(formatReport(`${queueType} restart`, result, `down for ${upAt - downAt} ms, consuming again ${resumedAt - upAt} ms after the port opened`));
      expect(result.lost).toBe(0);
      expect(result.confirmed).toBeGreaterThan(4_000);
      await waitFor(() => app.transport.stats().consumers === 1, 'consumer back', 30_000);
    });

    it(`${queueType} queue: the broker crashes (kill -9) and boots again under load; no confirmed message lost`, async () => {
      const app = await loadApp(queueType);
      // RabbitMQ 3.10 registers a new quorum queue's Raft server in a store it flushes a few seconds
      // later; a kill -9 inside that window leaves the queue declared but its server never restarted
      // (consumes and publishes hang on the broker). Not what this test is about: let it settle.
      if (queueType === 'quorum') await sleep(12_000);
      let crashedAt = 0;
      let upAt = 0;
      const result = await app.run(5_000, {
        window: 200,
        drainTimeoutMs: 90_000,
        during: async (progress) => {
          await whenProgress(progress, 1_500);
          crashedAt = Date.now();
          await node!.crash();
          await node!.start(120_000);
          upAt = Date.now();
        },
      });
      const resumedAt = Math.min(...[...app.firstSeenAt.values()].filter((at) => at > upAt));
      report(formatReport(`${queueType} crash`, result, `down for ${upAt - crashedAt} ms, consuming again ${resumedAt - upAt} ms after the port opened`));
      expect(result.lost).toBe(0);
      // A floor, so a run where the sends failed cannot pass on lost === 0: at least the 1,500 sent before
      // the crash, less the window of 200 that may have been in flight when it hit.
      expect(result.confirmed).toBeGreaterThanOrEqual(1_300);
      await waitFor(() => app.transport.stats().consumers === 1, 'consumer back', 30_000);
    });
  }

  for (const alarm of ['memory', 'disk'] as const) {
    it(`a ${alarm} alarm blocks the connection: typed events, stats, and publishes that fail or wait by policy`, async () => {
      const app = await loadApp('classic');
      const blocked: ConnectionBlockedEvent[] = [];
      const unblocked: ConnectionUnblockedEvent[] = [];
      app.transport.events.on('connection.blocked', (event) => blocked.push(event));
      app.transport.events.on('connection.unblocked', (event) => unblocked.push(event));
      const failing = new AmqpTransport({
        urls: node!.url,
        connectionName: uniqueName('blocked-fail'),
        publisher: { whenBlocked: 'fail' },
      });
      transports.push(failing);
      await failing.start(app.topology);
      const exchange = app.topology.exchanges![0]!.name;
      const message = { exchange, routingKey: 'load.x', body: Buffer.from('{"seq":1}'), properties: {}, mandatory: false };

      const raise = alarm === 'memory' ? ['set_vm_memory_high_watermark', '0.0000001'] : ['set_disk_free_limit', '1000000000000000'];
      const clear = alarm === 'memory' ? ['set_vm_memory_high_watermark', '0.4'] : ['set_disk_free_limit', '50000000'];
      try {
        await node!.ctl(raise);
        // RabbitMQ blocks a connection once it publishes; the first publish is what triggers the notice.
        const waiting = app.transport.publish(message).catch((error: unknown) => error);
        const failed = failing.publish(message).catch((error: unknown) => error);
        await waitFor(() => blocked.length > 0, 'connection.blocked event', 20_000);
        expect(app.transport.stats().blocked).toBe(true);
        expect(blocked[0]!.reason).toMatch(alarm === 'memory' ? /memory/ : /disk/);
        await waitFor(() => failing.stats().blocked === true, 'the fail-policy transport is blocked too', 20_000);
        const refused = await failing.publish(message).catch((error: unknown) => error);
        expect(refused).toBeInstanceOf(ConnectionBlockedError);
        expect(refused).toMatchObject({ code: 'CONNECTION_BLOCKED', policy: 'fail' });
        void failed;

        // Policy `wait`: the publish waits; it goes through once the alarm clears.
        await sleep(500);
        await node!.ctl(clear);
        await waitFor(() => unblocked.length > 0, 'connection.unblocked event', 20_000);
        expect(await waiting).toBeUndefined();
        expect(app.transport.stats().blocked).toBe(false);
        report(`[alarm] ${alarm}: blocked (${blocked[0]!.reason}), unblocked after ${unblocked[0]!.blockedForMs} ms`);
      } finally {
        await node!.ctl(clear).catch(() => undefined);
      }
    });
  }

  it('policy `wait`: a publish whose deadline passes while blocked fails with ConnectionBlockedError', async () => {
    const transport = new AmqpTransport({
      urls: node!.url,
      connectionName: uniqueName('blocked-wait'),
      publisher: { publishTimeoutMs: 1_500 },
    });
    transports.push(transport);
    const exchange = uniqueName('blocked.ex');
    await transport.start({ exchanges: [{ name: exchange, type: 'fanout', durable: false }] });
    const message = { exchange, routingKey: '', body: Buffer.from('x'), properties: {}, mandatory: false };
    await transport.publish(message);
    try {
      await node!.ctl(['set_vm_memory_high_watermark', '0.0000001']);
      const error = await transport.publish(message).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConnectionBlockedError);
      expect(error).toMatchObject({ policy: 'wait' });
      expect((error as Error).message).toMatch(/blocked the connection/);
    } finally {
      await node!.ctl(['set_vm_memory_high_watermark', '0.4']);
    }
  });
});
