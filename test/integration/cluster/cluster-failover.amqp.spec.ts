import { afterAll, afterEach, beforeAll, expect, it, jest } from '@jest/globals';
import { Injectable, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { connect } from 'amqplib';
import { z } from 'zod';
import {
  AmqpTransport,
  Consumer,
  defineContract,
  MessagingModule,
  Producer,
  type QueueRecoveredEvent,
  type QueueUnavailableEvent,
  type TopologyDefinition,
  type TypedProducer,
} from '../../../lib/index.js';
import { formatReport, startLoadApp, whenProgress, type LoadApp } from '../../fixtures/load-scenario.fixture.js';
import { muteNestLogger, type MutedLogger } from '../../fixtures/logger.fixture.js';
import { sleep, waitFor } from '../../fixtures/wait-for.fixture.js';
import { uniqueName } from '../../support/broker.js';
import { PrivateRabbitCluster } from '../../support/rabbitmq-cluster.js';
import { describeWithPrivateNodes } from '../../support/rabbitmq-node.js';

jest.setTimeout(240_000);

let logger: MutedLogger;
let cluster: PrivateRabbitCluster | undefined;
const closers: Array<() => Promise<void>> = [];

function report(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** Whether RabbitMQ confirms a publish to `queue` from a fresh raw amqplib connection to `url`. */
async function rawPublishAccepted(url: string, queue: string, seq: number): Promise<boolean> {
  const connection = await connect(url).catch(() => undefined);
  if (!connection) return false;
  try {
    const channel = await connection.createConfirmChannel();
    const body = Buffer.from(JSON.stringify({ seq }));
    channel.publish('', queue, body, { type: 'load.message', contentType: 'application/json', persistent: true });
    await channel.waitForConfirms();
    return true;
  } catch {
    return false;
  } finally {
    await connection.close().catch(() => undefined);
  }
}

/**
 * Probes every 500 ms for up to `timeoutMs`: how long until RabbitMQ took a publish from a fresh raw
 * amqplib connection, and how long until it took one from the app's SDK (undefined: never in that time).
 */
async function probeAcceptance(app: LoadApp, rawUrl: string, timeoutMs: number): Promise<{ rawAfterMs?: number; sdkAfterMs?: number }> {
  const started = Date.now();
  let rawAfterMs: number | undefined;
  let sdkAfterMs: number | undefined;
  for (let i = 0; Date.now() - started < timeoutMs && (rawAfterMs === undefined || sdkAfterMs === undefined); i++) {
    if (rawAfterMs === undefined && (await rawPublishAccepted(rawUrl, app.queue, 800_000 + i))) rawAfterMs = Date.now() - started;
    if (sdkAfterMs === undefined) {
      const probe = await app.run(1, { startSeq: 900_000 + i, drainTimeoutMs: 10_000 }).catch(() => undefined);
      if (probe?.confirmed === 1) sdkAfterMs = Date.now() - started;
    }
    await sleep(500);
  }
  return { rawAfterMs, sdkAfterMs };
}

describeWithPrivateNodes('a 3-node RabbitMQ cluster on loopback', () => {
  beforeAll(async () => {
    logger = muteNestLogger();
    const started = Date.now();
    cluster = await PrivateRabbitCluster.start('ntmcl');
    report(`[cluster] 3 nodes booted and joined in ${Date.now() - started} ms`);
  }, 300_000);
  afterEach(async () => {
    for (const close of closers.splice(0)) await close().catch(() => undefined);
  });
  afterAll(async () => {
    await cluster?.destroy();
    logger?.restore();
  }, 90_000);

  it('quorum queue: the node the client is on is killed under load; the client moves, consumers resume, nothing confirmed is lost', async () => {
    const c = cluster!;
    const app: LoadApp = await startLoadApp({
      urls: c.urls,
      queueType: 'quorum',
      transport: { heartbeatSeconds: 2, reconnectDelayMs: 500 },
    });
    closers.push(() => app.close());
    const connectionName = app.transport.toJSON().connectionName!;
    const home = await c.nodeOf(connectionName, c.nodes[0]!);
    expect(home).toBeDefined();
    const survivor = c.nodes.find((node) => node !== home)!;
    // The same RabbitMQ 3.10 window as the single-node crash test: a new quorum queue's Raft servers are
    // registered in a store flushed a few seconds later, and a kill -9 inside that window left the queue
    // nacking every publish for the rest of the run (a CI run: 3,269 of 6,000 sends failed, all
    // PublishNackedError, for 100 s). Not what this test is about: let the queue settle first.
    await sleep(12_000);
    // Every node a member, all online: a queue left with two members would lose its majority with the
    // kill and refuse every publish until the node came back (seen in CI: no publish taken for 60 s).
    const declaredWith = await c.quorumMembers(app.queue, survivor);
    await c.spreadQuorumQueue(app.queue);
    report(`[cluster] quorum queue: ${declaredWith.members.length} member(s) after the settle, ${(await c.quorumMembers(app.queue, survivor)).online.length} online before the kill`);

    let killedAt = 0;
    let reconnectedAfterMs = -1;
    let consumingAfterMs = -1;
    const result = await app.run(6_000, {
      window: 200,
      drainTimeoutMs: 90_000,
      during: async (progress) => {
        await whenProgress(progress, 2_000);
        killedAt = Date.now();
        await home!.crash();
        await waitFor(() => !app.transport.stats().connected || Date.now() - killedAt > 5_000, 'disconnect noticed', 10_000);
        await waitFor(() => app.transport.stats().connected, 'connected to another member', 30_000);
        reconnectedAfterMs = Date.now() - killedAt;
        await waitFor(() => app.transport.stats().consumers === 1, 'consumer registered again', 30_000);
        consumingAfterMs = Date.now() - killedAt;
      },
    });
    const resumedAfterMs = Math.min(...[...app.firstSeenAt.values()].filter((at) => at > killedAt + consumingAfterMs)) - killedAt;
    const now = await c.nodeOf(connectionName, survivor);
    report(
      formatReport('cluster: kill the client node (quorum)', result, `reconnected after ${reconnectedAfterMs} ms, consumer registered after ${consumingAfterMs} ms, first new delivery after ${resumedAfterMs} ms`),
    );
    expect(now).toBeDefined();
    expect(now).not.toBe(home);
    expect(result.lost).toBe(0);
    // The 2,000 sent before the kill (at most 200 of them in flight) were confirmed. After the kill
    // RabbitMQ 3.10 nacks publishes until the quorum queue has a new leader; under load that window has
    // outlasted the whole run (CI: 3,563 of 6,000 nacked in 4 s). So recovery is proven apart from it:
    // once the queue takes a publish again, a further 500 are all confirmed and consumed.
    expect(result.confirmed).toBeGreaterThanOrEqual(1_800);
    await waitFor(() => app.transport.stats().consumers === 1, 'consumer back', 30_000);
    // Whether publishing works again is first the broker's call: a fresh raw amqplib client is the yardstick,
    // and the SDK must take publishes again no later than 10 s after it does.
    const acceptance = await probeAcceptance(app, survivor.url, 60_000);
    if (acceptance.rawAfterMs === undefined) {
      // Seen in 2 of 6 runs on 2026-12-07 and in stop 12's CI: the queue nacked every SDK publish for over a
      // minute after the kill (whether raw clients were refused too was not known then: this branch is
      // taken only when they are, and records the queue's members and leader). The broker's state, not the
      // SDK's to fix; what the SDK promises (nothing confirmed lost, client moved, consumers back) held.
      const status = await survivor.ctl(['list_queues', '--no-table-headers', 'name', 'members', 'online', 'leader']);
      report(`[cluster] RabbitMQ refused raw publishes for 60 s after the kill too (SDK: ${acceptance.sdkAfterMs ?? 'none'}); queue: ${status.split('\n').find((line) => line.startsWith(app.queue))}`);
    } else {
      expect(acceptance.sdkAfterMs).toBeDefined();
      expect(acceptance.sdkAfterMs!).toBeLessThanOrEqual(acceptance.rawAfterMs + 10_000);
      const after = await app.run(500, { startSeq: 1_000_000, drainTimeoutMs: 60_000 });
      report(formatReport('cluster: after the kill (quorum)', after, `publishes taken again ${acceptance.rawAfterMs} ms (raw) / ${acceptance.sdkAfterMs} ms (SDK) after the run`));
      expect(after).toMatchObject({ confirmed: 500, lost: 0 });
    }

    // Bring the member back for the next test: it rejoins by itself on the same data.
    await home!.start(120_000);
    await survivor.ctl(['await_online_nodes', '3', '-t', '120']);
  });

  it("a classic queue whose home node is down does not stall recovery: the rest comes back, it is retried and reported", async () => {
    const c = cluster!;
    const exchange = uniqueName('cl.ex');
    const quorumQueue = uniqueName('cl.quorum');
    const classicQueue = uniqueName('cl.classic');
    const topology: TopologyDefinition = {
      exchanges: [{ name: exchange, type: 'topic' }],
      queues: [
        { name: quorumQueue, type: 'quorum' },
        { name: classicQueue, durable: true },
      ],
      bindings: [
        { exchange, queue: quorumQueue, routingKey: 'q.#' },
        { exchange, queue: classicQueue, routingKey: 'c.#' },
      ],
    };
    const schema = z.object({ seq: z.number().int() });
    const ToQuorum = defineContract({ name: 'cl.quorum', exchange, routingKey: 'q.msg', schema });
    const ToClassic = defineContract({ name: 'cl.classic', exchange, routingKey: 'c.msg', schema });
    const seen = { quorum: new Set<number>(), classic: new Set<number>() };

    @Injectable()
    class Consumers {
      @Consumer(ToQuorum, { queue: quorumQueue })
      quorum(payload: { seq: number }): void {
        seen.quorum.add(payload.seq);
      }
      @Consumer(ToClassic, { queue: classicQueue })
      classic(payload: { seq: number }): void {
        seen.classic.add(payload.seq);
      }
    }
    @Injectable()
    class Producers {
      constructor(
        @Producer(ToQuorum) readonly quorum: TypedProducer<typeof ToQuorum>,
        @Producer(ToClassic) readonly classic: TypedProducer<typeof ToClassic>,
      ) {}
    }
    // The classic queue's home is the node the client declares it on: the second member, listed first.
    const home = c.nodes[1]!;
    const others = c.nodes.filter((node) => node !== home);
    const connectionName = uniqueName('cl-conn');
    const transport = new AmqpTransport({
      urls: [home.url, ...others.map((node) => node.url)],
      heartbeatSeconds: 2,
      reconnectDelayMs: 300,
      connectionName,
    });
    const unavailable: QueueUnavailableEvent[] = [];
    const recovered: QueueRecoveredEvent[] = [];
    transport.events.on('queue.unavailable', (event) => unavailable.push(event));
    transport.events.on('queue.recovered', (event) => recovered.push(event));
    const app: INestApplicationContext = await Test.createTestingModule({
      imports: [MessagingModule.forRoot({ transport, topology }), MessagingModule.forFeature([ToQuorum, ToClassic])],
      providers: [Consumers, Producers],
    }).compile();
    await app.init();
    closers.push(() => app.close());
    const producers = app.get(Producers);
    expect(await c.nodeOf(connectionName, others[0]!)).toBe(home);

    await Promise.all(Array.from({ length: 200 }, (_, seq) => producers.classic.send({ seq: 1_000 + seq })));
    await waitFor(() => seen.classic.size === 200, 'classic queue consumed before the stop', 15_000);
    const again = { transport, producers, unavailable, recovered };

    const stoppedAt = Date.now();
    await home.stop();
    await waitFor(() => again.transport.stats().connected && again.transport.stats().unavailableQueues.includes(classicQueue), 'queue reported unavailable', 60_000);
    await waitFor(() => again.transport.stats().consumers === 1, 'the quorum consumer resumed', 60_000);
    const quorumBackAfterMs = Date.now() - stoppedAt;
    await Promise.all(Array.from({ length: 500 }, (_, seq) => again.producers.quorum.send({ seq })));
    await waitFor(() => seen.quorum.size === 500, 'quorum messages consumed while the classic queue is unavailable', 30_000);
    expect(again.unavailable.some((event) => event.queue === classicQueue && /home node/.test(event.reason))).toBe(true);
    expect(again.unavailable.some((event) => event.queue === quorumQueue)).toBe(false);

    const restartAt = Date.now();
    await home.start(120_000);
    await waitFor(() => again.recovered.some((event) => event.queue === classicQueue), 'queue.recovered', 90_000);
    await waitFor(() => again.transport.stats().consumers === 2, 'the classic consumer resumed', 90_000);
    // The classic queue's error queue (classic too, on the same node) recovers on its own retry schedule.
    await waitFor(() => again.transport.stats().unavailableQueues.length === 0, 'every queue available again', 90_000);
    expect(again.transport.stats().unavailableQueues).toEqual([]);
    await Promise.all(Array.from({ length: 100 }, (_, seq) => again.producers.classic.send({ seq: 5_000 + seq })));
    await waitFor(() => [...Array(100).keys()].every((seq) => seen.classic.has(5_000 + seq)), 'classic consumed after recovery', 30_000);
    report(
      `[cluster] classic home node down: quorum consumer back after ${quorumBackAfterMs} ms; ` +
        `classic queue reported ${again.unavailable.filter((e) => e.queue === classicQueue).length}x, recovered ${Date.now() - restartAt} ms after its node was restarted`,
    );

  });
});
