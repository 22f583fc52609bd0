import { afterEach, expect, it } from '@jest/globals';
import { Injectable, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { z } from 'zod';
import {
  AmqpTransport,
  Consumer,
  defineContract,
  FAILURE_HEADERS,
  MessageContext,
  MessagingModule,
  Producer,
  type ConsumerOptions,
  type MessageContract,
  type TopologyDefinition,
  type TypedProducer,
} from '../../../lib/index.js';
import { AMQP_URL, closeConnectionsFromBroker, describeWithBroker, uniqueName } from '../../support/broker.js';
import { waitFor } from '../../fixtures/wait-for.fixture.js';
import { deleteTopology, drainQueue, messageCount, publishRaw, withAdminChannel } from '../../fixtures/rabbitmq-admin.fixture.js';

/** Unique per run: the broker-side close in the failover test must hit only this file's connections. */
const CONNECTION_NAME = uniqueName('module-it-conn');

const schema = z.object({ seq: z.number().int().nonnegative(), note: z.string() });
type Payload = z.infer<typeof schema>;
type Behaviour = (payload: Payload, ctx: MessageContext<Payload>) => unknown;

interface Scenario {
  contract: MessageContract<typeof schema>;
  topology: TopologyDefinition;
  queue: string;
  dlq: string;
  exchange: string;
}

function scenario(): Scenario {
  const exchange = uniqueName('ex');
  const queue = uniqueName('work');
  const dlq = uniqueName('dlq');
  return {
    exchange,
    queue,
    dlq,
    contract: defineContract({ name: 'it.message', exchange, routingKey: 'it.message', schema }),
    topology: {
      exchanges: [
        { name: exchange, type: 'topic', durable: false, autoDelete: false },
        { name: `${exchange}.dlx`, type: 'fanout', durable: false },
      ],
      queues: [
        { name: queue, type: 'quorum', deadLetterExchange: `${exchange}.dlx` },
        { name: dlq, durable: false },
      ],
      bindings: [
        { exchange, queue, routingKey: 'it.#' },
        { exchange: `${exchange}.dlx`, queue: dlq },
      ],
    },
  };
}

const apps: INestApplicationContext[] = [];
const scenarios: Scenario[] = [];

async function startApp(s: Scenario, behaviour: Behaviour, options: Partial<ConsumerOptions> = {}, consume = true) {
  @Injectable()
  class ItConsumer {
    @Consumer(s.contract, { queue: s.queue, prefetch: 50, ...options })
    handle(payload: Payload, ctx: MessageContext<Payload>): unknown {
      return behaviour(payload, ctx);
    }
  }
  @Injectable()
  class ItProducer {
    constructor(@Producer(s.contract) readonly producer: TypedProducer<typeof s.contract>) {}
  }
  const app = await Test.createTestingModule({
    imports: [
      MessagingModule.forRoot({
        transport: new AmqpTransport({ urls: AMQP_URL, reconnectDelayMs: 200, connectionName: CONNECTION_NAME }),
        topology: s.topology,
        shutdownTimeoutMs: 5_000,
      }),
      MessagingModule.forFeature([s.contract]),
    ],
    providers: consume ? [ItConsumer, ItProducer] : [ItProducer],
  }).compile();
  await app.init();
  apps.push(app);
  return { app, producer: app.get(ItProducer).producer };
}

async function closeApp(app: INestApplicationContext): Promise<void> {
  apps.splice(apps.indexOf(app), 1);
  await app.close();
}

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close().catch(() => undefined)));
  for (const s of scenarios.splice(0)) {
    await deleteTopology({ queues: [s.queue, s.dlq], exchanges: [s.exchange, `${s.exchange}.dlx`] });
  }
});

function track(s: Scenario): Scenario {
  scenarios.push(s);
  return s;
}

describeWithBroker('MessagingModule on RabbitMQ', () => {
  it('publishes and consumes 10,000 typed messages with zero loss', async () => {
    const s = track(scenario());
    const seen = new Set<number>();
    const { producer } = await startApp(s, (p) => void seen.add(p.seq), { prefetch: 200 });
    const total = 10_000;
    for (let start = 0; start < total; start += 1_000) {
      await Promise.all(Array.from({ length: 1_000 }, (_, i) => producer.send({ seq: start + i, note: 'bulk' })));
    }
    await waitFor(() => seen.size === total, 'seen.size === total', 60_000);
    expect(seen.size).toBe(total);
    expect(await messageCount(s.dlq)).toBe(0);
  }, 90_000);

  it('auto ack: the queue is empty once handlers resolved', async () => {
    const s = track(scenario());
    const seen: number[] = [];
    const { app, producer } = await startApp(s, (p) => void seen.push(p.seq));
    await Promise.all([1, 2, 3].map((seq) => producer.send({ seq, note: 'auto' })));
    await waitFor(() => seen.length === 3, 'seen.length === 3');
    // Counted after closing: a delivery never acked would be back in the queue (a ready count misses it).
    await closeApp(app);
    expect(await messageCount(s.queue)).toBe(0);
  });

  it('manual ack: nack requeues (redelivered), ack removes', async () => {
    const s = track(scenario());
    const deliveries: Array<[number, boolean]> = [];
    let acked = false;
    const { app, producer } = await startApp(
      s,
      (p, ctx) => {
        deliveries.push([p.seq, ctx.redelivered]);
        if (!ctx.redelivered) ctx.nack({ requeue: true });
        else
          setTimeout(() => {
            ctx.ack();
            acked = true;
          }, 20);
      },
      { ack: 'manual' },
    );
    await producer.send({ seq: 7, note: 'manual' });
    await waitFor(() => deliveries.length === 2, 'deliveries.length === 2');
    expect(deliveries).toEqual([
      [7, false],
      [7, true],
    ]);
    await waitFor(() => acked, 'the manual ack');
    // Counted after closing: an ack that never reached the broker would be back in the queue.
    await closeApp(app);
    expect(await messageCount(s.queue)).toBe(0);
  });

  it('dead-letters a throwing handler with the failure recorded', async () => {
    const s = track(scenario());
    const { app, producer } = await startApp(s, (p) => {
      if (p.seq === 13) throw new Error('unlucky order');
    });
    const { messageId } = await producer.send({ seq: 13, note: 'throws' }, { correlationId: 'c-13' });
    let dead: Awaited<ReturnType<typeof drainQueue>> = [];
    for (let i = 0; i < 100 && dead.length === 0; i++) {
      dead = await drainQueue(s.dlq);
      if (dead.length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(dead).toHaveLength(1);
    const [message] = dead;
    expect(JSON.parse(message!.content.toString())).toEqual({ seq: 13, note: 'throws' });
    expect(message!.properties).toMatchObject({ messageId, correlationId: 'c-13', type: 'it.message' });
    expect(message!.properties.headers).toMatchObject({
      [FAILURE_HEADERS.kind]: 'handler',
      [FAILURE_HEADERS.reason]: 'unlucky order',
      [FAILURE_HEADERS.queue]: s.queue,
      [FAILURE_HEADERS.originalExchange]: s.exchange,
    });
    // The original is acked once the copy is confirmed: closing would otherwise put it back in the queue.
    await closeApp(app);
    expect(await messageCount(s.queue)).toBe(0);
  });

  it('dead-letters an invalid payload with the reason, and keeps consuming', async () => {
    const s = track(scenario());
    const seen: number[] = [];
    const { producer } = await startApp(s, (p) => void seen.push(p.seq));
    await publishRaw(s.exchange, 'it.message', [
      { body: Buffer.from(JSON.stringify({ seq: -1 })), options: { contentType: 'application/json', messageId: 'bad-1' } },
      { body: Buffer.from('not json at all'), options: { contentType: 'application/json', messageId: 'bad-2' } },
    ]);
    await producer.send({ seq: 1, note: 'valid after invalid' });
    await waitFor(() => seen.length === 1, 'seen.length === 1', 10_000);
    let dead: Awaited<ReturnType<typeof drainQueue>> = [];
    for (let i = 0; i < 100 && dead.length < 2; i++) {
      dead = [...dead, ...(await drainQueue(s.dlq))];
      if (dead.length < 2) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const byId = Object.fromEntries(dead.map((m) => [m.properties.messageId, m.properties.headers ?? {}]));
    expect(byId['bad-1']?.[FAILURE_HEADERS.kind]).toBe('validation');
    expect(String(byId['bad-1']?.[FAILURE_HEADERS.issues])).toContain('"path":"seq"');
    expect(String(byId['bad-1']?.[FAILURE_HEADERS.issues])).toContain('"path":"note"');
    expect(byId['bad-2']?.[FAILURE_HEADERS.kind]).toBe('decode');
    expect(String(byId['bad-2']?.[FAILURE_HEADERS.reason])).toContain('not valid JSON');
  });

  it('asserts the declared topology on the broker', async () => {
    const s = track(scenario());
    await startApp(s, () => undefined, {}, false);
    await withAdminChannel(async (channel) => {
      await channel.checkExchange(s.exchange);
      await channel.checkExchange(`${s.exchange}.dlx`);
      await channel.checkQueue(s.queue);
      await channel.checkQueue(s.dlq);
    });
    // The queue really is a quorum queue with a DLX: re-declaring it as classic is refused by the broker.
    const refused = await withAdminChannel((channel) => channel.assertQueue(s.queue, { durable: true })).catch((e: Error) => e);
    expect(String(refused)).toMatch(/PRECONDITION_FAILED/);
  });

  it('survives a broker-side close of every connection mid-stream: every confirmed message is consumed', async () => {
    const s = track(scenario());
    const seen = new Set<number>();
    const { producer } = await startApp(s, (p) => void seen.add(p.seq), { prefetch: 100 });
    const total = 3_000;
    const confirmed = new Set<number>();
    const failed: unknown[] = [];
    let closed = false;
    const sends: Array<Promise<void>> = [];
    for (let seq = 0; seq < total; seq++) {
      sends.push(
        producer.send({ seq, note: 'failover' }).then(
          () => void confirmed.add(seq),
          (error: unknown) => void failed.push(error),
        ),
      );
      if (seq === 1_000) {
        await waitFor(() => confirmed.size > 500, 'confirmed.size > 500', 10_000);
        expect(await closeConnectionsFromBroker(CONNECTION_NAME)).toBeGreaterThan(0);
        closed = true;
      }
      if (seq % 200 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(sends);
    expect(closed).toBe(true);
    expect(failed).toEqual([]);
    expect(confirmed.size).toBe(total);
    await waitFor(() => [...confirmed].every((seq) => seen.has(seq)), 'every confirmed message consumed', 30_000);
    expect(seen.size).toBe(total);
  }, 60_000);

  it('graceful shutdown lets in-flight handlers finish; nothing is lost across a restart', async () => {
    const s = track(scenario());
    const finished: number[] = [];
    let started = 0;
    const slow: Behaviour = async (p) => {
      started++;
      await new Promise((resolve) => setTimeout(resolve, 300));
      finished.push(p.seq);
    };
    const { app, producer } = await startApp(s, slow, { prefetch: 5 });
    await Promise.all(Array.from({ length: 20 }, (_, seq) => producer.send({ seq, note: 'drain' })));
    await waitFor(() => started === 5, 'started === 5', 10_000);
    await closeApp(app);
    expect(finished).toHaveLength(5);
    expect(started).toBe(5);
    expect(await messageCount(s.queue)).toBe(15);

    await startApp(s, (p) => void finished.push(p.seq), { prefetch: 5 });
    await waitFor(() => finished.length === 20, 'finished.length === 20', 10_000);
    expect(new Set(finished).size).toBe(20);
  }, 30_000);
});

