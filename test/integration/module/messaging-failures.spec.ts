import { afterAll, afterEach, beforeAll, expect, it, jest } from '@jest/globals';
import { Injectable, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { z } from 'zod';
import {
  Consumer,
  defineContract,
  FAILURE_HEADERS,
  MessageContext,
  MessagingModule,
  Producer,
  type AmqpTransportOptions,
  type ConsumerOptions,
  type MessageContract,
  type TopologyDefinition,
  type TypedProducer,
} from '../../../lib/index.js';
import {
  createAmqpConnectionManager,
  type AmqpChannelLike,
  type AmqpConnectionFactory,
  type AmqpDeliveredMessage,
} from '../../../lib/testing/index.js';
import { BrokerTestScope } from '../../fixtures/amqp-integration.fixture.js';
import { muteNestLogger, type MutedLogger } from '../../fixtures/logger.fixture.js';
import { drainQueue, messageCount } from '../../fixtures/rabbitmq-admin.fixture.js';
import { sleep, waitFor } from '../../fixtures/wait-for.fixture.js';
import { describeWithBroker, uniqueName } from '../../support/broker.js';

jest.setTimeout(30_000);

const schema = z.object({ seq: z.number().int().nonnegative() });
type Payload = z.infer<typeof schema>;
type Behaviour = (payload: Payload, ctx: MessageContext<Payload>) => unknown;

let logger: MutedLogger;
beforeAll(() => {
  logger = muteNestLogger();
});
afterAll(() => logger.restore());

const scope = new BrokerTestScope();
const apps: INestApplicationContext[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close().catch(() => undefined)));
  await scope.release();
});

interface Setup {
  readonly contract: MessageContract<typeof schema>;
  readonly topology: TopologyDefinition;
  readonly queue: string;
  /** The queue bound to the dead-letter exchange, when there is one. */
  readonly dlq: string | undefined;
}

/** A work queue on a topic exchange, dead-lettering as `deadLetter` says. Names are unique and deleted afterwards. */
function setup(deadLetter: 'routed' | 'routed-elsewhere' | 'none' | 'error-queue'): Setup {
  const exchange = uniqueName('fail.ex');
  const dlx = `${exchange}.dlx`;
  const queue = uniqueName('fail.work');
  const dlq = deadLetter === 'routed' ? uniqueName('fail.dlq') : undefined;
  const work =
    deadLetter === 'none'
      ? { name: queue, durable: false, errorQueue: false as const }
      : deadLetter === 'error-queue'
      ? { name: queue, durable: false }
      : { name: queue, durable: false, deadLetterExchange: dlx, deadLetterRoutedElsewhere: deadLetter === 'routed-elsewhere' };
  const topology = scope.declare({
    exchanges: [{ name: exchange, type: 'topic', durable: false }, ...(deadLetter === 'none' || deadLetter === 'error-queue' ? [] : [{ name: dlx, type: 'fanout' as const, durable: false }])],
    queues: [work, ...(dlq ? [{ name: dlq, durable: false }] : [])],
    bindings: [{ exchange, queue, routingKey: 'fail.#' }, ...(dlq ? [{ exchange: dlx, queue: dlq }] : [])],
  });
  const contract = defineContract({ name: 'fail.message', exchange, routingKey: 'fail.message', schema });
  return { contract, topology, queue, dlq };
}

/** Starts an app on RabbitMQ; with a behaviour it consumes `s.queue`, without one it only produces. */
async function startApp(
  s: Setup,
  behaviour: Behaviour | undefined,
  options: { consumer?: Partial<ConsumerOptions>; transport?: Partial<AmqpTransportOptions> } = {},
): Promise<TypedProducer<Setup['contract']>> {
  @Injectable()
  class FailConsumer {
    @Consumer(s.contract, { queue: s.queue, prefetch: 20, ...options.consumer })
    handle(payload: Payload, ctx: MessageContext<Payload>): unknown {
      return behaviour?.(payload, ctx);
    }
  }
  @Injectable()
  class FailProducer {
    constructor(@Producer(s.contract) readonly producer: TypedProducer<typeof s.contract>) {}
  }
  const app = await Test.createTestingModule({
    imports: [
      MessagingModule.forRoot({ transport: scope.transport(options.transport), topology: s.topology, shutdownTimeoutMs: 5_000 }),
      MessagingModule.forFeature([s.contract]),
    ],
    providers: behaviour ? [FailConsumer, FailProducer] : [FailProducer],
  }).compile();
  await app.init();
  apps.push(app);
  return app.get(FailProducer).producer;
}

async function closeApps(): Promise<void> {
  await Promise.all(apps.splice(0).map((app) => app.close()));
}

/** Sends `count` messages (seq 0..count-1) through a producer-only app, so they wait in the queue. */
async function preload(s: Setup, count: number): Promise<void> {
  const producer = await startApp(s, undefined);
  for (let seq = 0; seq < count; seq++) await producer.send({ seq });
  await closeApps();
}

/**
 * The real amqp-connection-manager, wrapped so the test can reach the amqplib channel consuming each
 * queue: what an application leaking the raw channel into a handler would have.
 */
function channelSpy(): { factory: AmqpConnectionFactory; consumerChannel: (queue: string) => AmqpChannelLike } {
  const channels = new Map<string, AmqpChannelLike>();
  const factory: AmqpConnectionFactory = (urls, options) => {
    const manager = createAmqpConnectionManager(urls, options);
    // Registered before the transport's own listener, so channels are wrapped before any is opened.
    manager.on('connect', () => {
      const connection = manager.connection;
      if (!connection) return;
      const createChannel = connection.createChannel.bind(connection);
      connection.createChannel = async () => {
        const channel = await createChannel();
        const consume = channel.consume.bind(channel);
        channel.consume = (queue, onMessage, consumeOptions) => {
          channels.set(queue, channel);
          return consume(queue, onMessage, consumeOptions);
        };
        return channel;
      };
    });
    return manager;
  };
  const consumerChannel = (queue: string): AmqpChannelLike => {
    const channel = channels.get(queue);
    if (!channel) throw new Error(`no channel consumes ${queue}`);
    return channel;
  };
  return { factory, consumerChannel };
}

const errorsContaining = (text: string): string[] =>
  logger.error.mock.calls.map((call) => String(call[0])).filter((message) => message.includes(text));

describeWithBroker('Failures on RabbitMQ, end to end through MessagingModule', () => {
  it('a 406 on the consumer channel: handlers run once per live delivery, never for a stale one; one DLQ copy', async () => {
    const s = setup('routed');
    const total = 11;
    const poison = 5;
    await preload(s, total);
    expect(await messageCount(s.queue)).toBe(total);

    const warningsBefore = logger.warnings().length;
    const { factory, consumerChannel } = channelSpy();
    const runs: Array<{ seq: number; redelivered: boolean }> = [];
    let provoked = false;
    let channelError: Error | undefined;
    await startApp(
      s,
      async (payload, ctx) => {
        runs.push({ seq: payload.seq, redelivered: ctx.redelivered });
        if (payload.seq === poison) throw new Error('poison message');
        if (payload.seq === 0 && !provoked) {
          provoked = true;
          // A handler that also acks on the raw amqplib channel: the SDK's ack is then a second ack of the
          // same delivery tag, which RabbitMQ answers by closing the channel (406 PRECONDITION_FAILED).
          const channel = consumerChannel(s.queue);
          channel.on('error', (error) => (channelError = error));
          const closed = new Promise<void>((resolve) => channel.on('close', resolve));
          channel.ack(ctx.raw as AmqpDeliveredMessage);
          ctx.ack();
          await closed;
          return;
        }
        ctx.ack();
      },
      { consumer: { ack: 'manual', concurrency: 1, prefetch: 20 }, transport: { connectionFactory: factory } },
    );

    // Message 0 is gone (its first ack counted); the ten others come back on the reopened channel.
    await waitFor(() => runs.filter((r) => r.redelivered).length >= total - 1, 'ten redeliveries handled', 15_000);
    let dead = await drainQueue(s.dlq!);
    for (let i = 0; i < 40 && dead.length === 0; i++) {
      await sleep(50);
      dead = await drainQueue(s.dlq!);
    }
    await sleep(300); // room for a wrong extra run or a second dead-letter copy to show up
    dead = [...dead, ...(await drainQueue(s.dlq!))];
    await closeApps();

    expect(provoked).toBe(true);
    expect(channelError?.message).toMatch(/406 \(PRECONDITION-FAILED\)|PRECONDITION_FAILED/);
    expect(runs).toHaveLength(total);
    expect(runs[0]).toEqual({ seq: 0, redelivered: false });
    expect(runs.slice(1).sort((a, b) => a.seq - b.seq)).toEqual(
      Array.from({ length: total - 1 }, (_, i) => ({ seq: i + 1, redelivered: true })),
    );
    // Only the provoked 406: the SDK itself never settled a delivery twice or on the wrong channel.
    const channelErrors = logger.warnings().slice(warningsBefore).filter((w) => w.includes('channel error'));
    expect(channelErrors).toHaveLength(1);
    expect(dead).toHaveLength(1);
    expect(JSON.parse(dead[0]!.content.toString())).toEqual({ seq: poison });
    expect(dead[0]!.properties.headers).toMatchObject({ [FAILURE_HEADERS.kind]: 'handler', [FAILURE_HEADERS.reason]: 'poison message' });
    expect(await messageCount(s.queue)).toBe(0);
  });

  it('a DLX that routes nowhere (deadLetterRoutedElsewhere): the failed message stays, requeued after the backoff', async () => {
    const s = setup('routed-elsewhere');
    const runs: Array<{ at: number; redelivered: boolean }> = [];
    const producer = await startApp(
      s,
      (_payload, ctx) => {
        runs.push({ at: Date.now(), redelivered: ctx.redelivered });
        throw new Error('always fails');
      },
      { transport: { deadLetterRequeueDelayMs: () => 250 } },
    );
    await producer.send({ seq: 1 });
    await waitFor(() => runs.length >= 3, 'three deliveries', 10_000);
    await closeApps();

    expect(runs.map((r) => r.redelivered).slice(0, 3)).toEqual([false, true, true]);
    for (let i = 1; i < runs.length; i++) expect(runs[i]!.at - runs[i - 1]!.at).toBeGreaterThanOrEqual(200);
    const failures = errorsContaining('always fails');
    expect(failures.length).toBeGreaterThanOrEqual(2);
    expect(failures[0]).toContain('failed (');
    expect(failures[0]).toContain(`the message stays in queue "${s.queue}" and is requeued in 250 ms`);
    expect(await messageCount(s.queue)).toBe(1);
  });

  it('a DLX that routes: a copy with the failure recorded reaches the DLQ and the original is acked', async () => {
    const s = setup('routed');
    const producer = await startApp(s, () => {
      throw new Error('declined');
    });
    const { messageId } = await producer.send({ seq: 2 });
    let dead = await drainQueue(s.dlq!);
    for (let i = 0; i < 100 && dead.length === 0; i++) {
      await sleep(50);
      dead = await drainQueue(s.dlq!);
    }
    expect(dead).toHaveLength(1);
    expect(dead[0]!.properties.messageId).toBe(messageId);
    expect(dead[0]!.properties.headers).toMatchObject({
      [FAILURE_HEADERS.kind]: 'handler',
      [FAILURE_HEADERS.reason]: 'declined',
      [FAILURE_HEADERS.queue]: s.queue,
    });
    await closeApps();
    expect(await messageCount(s.queue)).toBe(0);
  });

  it('a queue without a DLX gets <queue>.error by default: the failed copy lands there with its failure recorded', async () => {
    const s = setup('error-queue');
    scope.declare({ queues: [{ name: `${s.queue}.error` }] });
    const producer = await startApp(s, () => {
      throw new Error('to the error queue');
    });
    const { messageId } = await producer.send({ seq: 4 });
    let dead = await drainQueue(`${s.queue}.error`);
    for (let i = 0; i < 100 && dead.length === 0; i++) {
      await sleep(50);
      dead = await drainQueue(`${s.queue}.error`);
    }
    expect(dead).toHaveLength(1);
    expect(dead[0]!.properties.messageId).toBe(messageId);
    expect(dead[0]!.properties.headers).toMatchObject({ [FAILURE_HEADERS.kind]: 'handler', [FAILURE_HEADERS.queue]: s.queue });
    await closeApps();
    expect(await messageCount(s.queue)).toBe(0);
  });

  it('a queue that opts out of its error queue (errorQueue: false) and has no DLX: the failed message is discarded, with an error log', async () => {
    const s = setup('none');
    let runs = 0;
    const producer = await startApp(s, () => {
      runs++;
      throw new Error('nowhere to go');
    });
    await producer.send({ seq: 3 });
    await waitFor(() => errorsContaining('nowhere to go').length === 1, 'discard logged', 10_000);
    await closeApps();
    expect(runs).toBe(1);
    expect(errorsContaining('nowhere to go')[0]).toContain('has no dead-letter exchange: the message is DISCARDED');
    expect(await messageCount(s.queue)).toBe(0);
  });
});
