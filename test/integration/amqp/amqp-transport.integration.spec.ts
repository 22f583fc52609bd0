import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import {
  TopologyError,
  TransportConnectionError,
  UnroutableMessageError,
} from '../../../lib/errors/index.js';
import type { InboundMessage, TransportDelivery } from '../../../lib/transports/transport.interface.js';
import { BrokerTestScope } from '../../fixtures/amqp-integration.fixture.js';
import { muteNestLogger, type MutedLogger } from '../../fixtures/logger.fixture.js';
import { listQueues, messageCount, withAdminChannel } from '../../fixtures/rabbitmq-admin.fixture.js';
import { waitFor } from '../../fixtures/wait-for.fixture.js';
import { AMQP_URL, closeConnectionsFromBroker, describeWithBroker, uniqueName } from '../../support/broker.js';

jest.setTimeout(60_000);

let logger: MutedLogger;
beforeAll(() => {
  logger = muteNestLogger();
});
afterAll(() => logger.restore());

const scope = new BrokerTestScope();
afterEach(() => scope.release());

describeWithBroker('AmqpTransport against RabbitMQ', () => {
  it('publishes with confirms, consumes and acks, carrying every message property', async () => {
    const { exchange, queue, topology } = scope.simpleTopology();
    const amqp = scope.transport();
    await amqp.start(topology);
    // Keyed by messageId: should anything be redelivered, it is still one message.
    const received = new Map<string | undefined, InboundMessage>();
    const acks: boolean[] = [];
    await amqp.consume({ queue, prefetch: 20, consumerName: 'it-consumer' }, (delivery) => {
      received.set(delivery.message.properties.messageId, delivery.message);
      acks.push(delivery.ack());
    });

    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        amqp.publish({
          exchange,
          routingKey: 'order.created',
          body: Buffer.from(JSON.stringify({ i })),
          mandatory: true,
          properties: {
            messageId: `m-${i}`,
            correlationId: 'corr',
            contentType: 'application/json',
            type: 'OrderCreated',
            timestamp: 1_700_000_000,
            expiration: 60_000,
            persistent: true,
            priority: 1,
            appId: 'tests',
            headers: { tenant: 'acme', attempt: 1, skipped: undefined },
          },
        }),
      ),
    );
    await waitFor(() => received.size === 50, '50 deliveries', 10_000);
    expect(acks.every((acked) => acked)).toBe(true);
    expect(amqp.stats()).toMatchObject({ connected: true, unconfirmedPublishes: 0, bufferedPublishes: 0 });
    expect(received.get('m-0')).toMatchObject({
      exchange,
      routingKey: 'order.created',
      queue,
      properties: {
        messageId: 'm-0',
        correlationId: 'corr',
        contentType: 'application/json',
        type: 'OrderCreated',
        timestamp: 1_700_000_000,
        expiration: 60_000,
        persistent: true,
        priority: 1,
        appId: 'tests',
        headers: { tenant: 'acme', attempt: 1 },
      },
    });
    expect(JSON.parse(received.get('m-49')?.body.toString() ?? '')).toEqual({ i: 49 });

    await amqp.close();
    expect(await messageCount(queue)).toBe(0);
  });

  it('rejects an unroutable mandatory publish with UnroutableMessageError, and accepts a non-mandatory one', async () => {
    const { exchange, topology } = scope.simpleTopology();
    const amqp = scope.transport();
    await amqp.start(topology);
    const message = { exchange, routingKey: 'nobody.listens', body: Buffer.from('x'), properties: {} };
    const error = await amqp.publish({ ...message, mandatory: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnroutableMessageError);
    expect(error).toMatchObject({ exchange, routingKey: 'nobody.listens', replyText: 'NO_ROUTE' });
    await expect(amqp.publish({ ...message, mandatory: false })).resolves.toBeUndefined();
    await expect(amqp.publish({ ...message, routingKey: 'order.ok', mandatory: true })).resolves.toBeUndefined();
  });

  it('fails a publish to an exchange that does not exist with a TopologyError, and keeps publishing the rest', async () => {
    const { exchange, topology } = scope.simpleTopology();
    const amqp = scope.transport({ publisher: { channels: 1 } });
    await amqp.start(topology);
    const missing = uniqueName('amqp.missing');
    const results = await Promise.allSettled([
      amqp.publish({ exchange, routingKey: 'order.a', body: Buffer.from('a'), properties: {}, mandatory: false }),
      amqp.publish({ exchange: missing, routingKey: 'x', body: Buffer.from('lost'), properties: {}, mandatory: false }),
      amqp.publish({ exchange, routingKey: 'order.b', body: Buffer.from('b'), properties: {}, mandatory: false }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const rejected = results[1];
    expect(rejected?.status === 'rejected' && rejected.reason).toBeInstanceOf(TopologyError);
    const after = { exchange, routingKey: 'order.c', body: Buffer.from('c'), properties: {}, mandatory: true };
    await expect(amqp.publish(after)).resolves.toBeUndefined();
  });

  it('asserts a quorum queue and dead-lettering with every queue argument', async () => {
    const work = uniqueName('amqp.quorum');
    const dlq = uniqueName('amqp.dlq');
    const dlx = uniqueName('amqp.dlx');
    const topology = scope.declare({
      exchanges: [{ name: dlx, type: 'fanout' }],
      queues: [
        {
          name: work,
          type: 'quorum',
          messageTtl: 60_000,
          maxLength: 1000,
          overflow: 'reject-publish',
          deadLetterExchange: dlx,
          deadLetterRoutingKey: 'dead',
          arguments: { 'x-delivery-limit': 5 },
        },
        { name: dlq, maxLengthBytes: 1_000_000 },
      ],
      bindings: [{ exchange: dlx, queue: dlq }],
    });
    await scope.transport().start(topology);

    const queues = await listQueues();
    expect(queues.find((q) => q.name === work)).toMatchObject({
      type: 'quorum',
      arguments: {
        'x-queue-type': 'quorum',
        'x-message-ttl': 60_000,
        'x-max-length': 1000,
        'x-overflow': 'reject-publish',
        'x-dead-letter-exchange': dlx,
        'x-dead-letter-routing-key': 'dead',
        'x-delivery-limit': 5,
      },
    });
    expect(queues.find((q) => q.name === dlq)).toMatchObject({ type: 'classic', arguments: { 'x-max-length-bytes': 1_000_000 } });
  });

  it('rejects start with a TopologyError naming a queue that exists with other arguments', async () => {
    const queue = uniqueName('amqp.mismatch');
    scope.declare({ queues: [{ name: queue }] });
    await withAdminChannel((channel) => channel.assertQueue(queue, { durable: true, messageTtl: 1000 }));
    const amqp = scope.transport();
    const error = await amqp.start({ queues: [{ name: queue, messageTtl: 2000 }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TopologyError);
    expect((error as Error).message).toContain(`queue "${queue}"`);
    expect((error as Error).message).toContain('PRECONDITION_FAILED');
    expect(amqp.stats().state).toBe('closed');
  });

  it('fails start at once when the credentials are refused, without showing the password', async () => {
    const url = new URL(AMQP_URL);
    url.password = 'definitely-wrong';
    const amqp = scope.transport({ urls: url.toString(), connectTimeoutMs: 20_000 });
    const startedAt = Date.now();
    const error = await amqp.start({}).catch((e: unknown) => e);
    // At once: one refused handshake (about 100 ms here), far below connectTimeoutMs (20 s); 1 s allows
    // for a loaded 2-core machine.
    expect(Date.now() - startedAt).toBeLessThan(1000);
    expect(error).toBeInstanceOf(TransportConnectionError);
    expect((error as Error).message).toContain('ACCESS');
    expect((error as Error).message).not.toContain('definitely-wrong');
  });

  it('fails start after connectTimeoutMs when nothing listens at the URL, naming it without the password', async () => {
    const amqp = scope.transport({ urls: 'amqp://guest:hidden-pw@127.0.0.1:1', connectTimeoutMs: 300 });
    const startedAt = Date.now();
    const error = await amqp.start({}).catch((e: unknown) => e);
    const elapsedMs = Date.now() - startedAt;
    // After connectTimeoutMs, not before (refused connects are retried until then; 5 ms for clock
    // granularity), and not much after: 400 ms of margin for a loaded 2-core machine.
    expect(elapsedMs).toBeGreaterThanOrEqual(300 - 5);
    expect(elapsedMs).toBeLessThanOrEqual(300 + 400);
    expect(error).toBeInstanceOf(TransportConnectionError);
    expect((error as Error).message).toContain('amqp://guest:***@127.0.0.1:1');
    expect((error as Error).message).toContain('ECONNREFUSED');
    expect((error as Error).message).not.toContain('hidden-pw');
  });

  it('dead-letters a nack(false) to the DLQ through the queue’s dead-letter exchange', async () => {
    const exchange = uniqueName('amqp.ex');
    const work = uniqueName('amqp.work');
    const dlx = uniqueName('amqp.dlx');
    const dlq = uniqueName('amqp.dlq');
    const topology = scope.declare({
      exchanges: [
        { name: exchange, type: 'direct' },
        { name: dlx, type: 'fanout' },
      ],
      queues: [{ name: work, deadLetterExchange: dlx }, { name: dlq }],
      bindings: [
        { exchange, queue: work, routingKey: 'job' },
        { exchange: dlx, queue: dlq },
      ],
    });
    const amqp = scope.transport();
    await amqp.start(topology);
    await amqp.consume({ queue: work, prefetch: 1, consumerName: 'rejecter' }, (delivery) => {
      expect(delivery.nack(false)).toBe(true);
    });
    const deadLetters: TransportDelivery[] = [];
    await amqp.consume({ queue: dlq, prefetch: 1, consumerName: 'dlq-reader' }, (delivery) => {
      deadLetters.push(delivery);
      delivery.ack();
    });

    const poison = { messageId: 'poison' };
    await amqp.publish({ exchange, routingKey: 'job', body: Buffer.from('bad'), properties: poison, mandatory: true });
    await waitFor(() => deadLetters.length === 1, 'dead letter', 10_000);
    const dead = deadLetters[0]?.message;
    expect(dead?.body.toString()).toBe('bad');
    expect(dead?.properties.messageId).toBe('poison');
    expect(dead?.properties.headers?.['x-first-death-reason']).toBe('rejected');
    expect(dead?.properties.headers?.['x-first-death-queue']).toBe(work);
  });

  it('survives the broker closing every connection mid-stream: every confirmed message is consumed', async () => {
    const { exchange, queue, topology } = scope.simpleTopology();
    const amqp = scope.transport();
    await amqp.start(topology);
    const consumed = new Set<string>();
    let deliveries = 0;
    await amqp.consume({ queue, prefetch: 50, consumerName: 'reconnecting-consumer' }, (delivery) => {
      deliveries++;
      const id = delivery.message.properties.messageId;
      if (id) consumed.add(id);
      // Acks go out a little later, so some are always in flight when the connection is cut.
      setTimeout(() => delivery.ack(), 10);
    });

    const total = 2000;
    const confirmed = new Set<string>();
    const failures: unknown[] = [];
    const publishes: Promise<void>[] = [];
    const connectionLost = (): boolean => logger.warnings().some((w) => w.includes('Lost the RabbitMQ connection'));
    let cut: Promise<void> | undefined;
    for (let i = 0; i < total; i++) {
      const id = `msg-${i}`;
      publishes.push(
        amqp
          .publish({
            exchange,
            routingKey: 'order.stream',
            body: Buffer.from(String(i)),
            properties: { messageId: id, persistent: true },
            mandatory: true,
          })
          .then(() => void confirmed.add(id), (error: unknown) => void failures.push(error)),
      );
      if (i === 200) cut = closeConnectionsFromBroker(scope.connectionName, 'amqp transport integration test').then(() => undefined);
      // rabbitmqctl takes a while to act: hold the rest back until the cut has happened, so those
      // messages are published while the transport is disconnected or reconnecting.
      if (i === 1700) await waitFor(connectionLost, 'the broker to cut the connection', 30_000);
      // About 1000 messages a second, so publishes and deliveries are in flight whenever the cut lands.
      if (i % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await cut;
    await Promise.all(publishes);

    expect(failures).toEqual([]);
    expect(confirmed.size).toBe(total);
    await waitFor(() => [...confirmed].every((id) => consumed.has(id)), 'every confirmed message consumed', 30_000);
    // The consumers' connection is cut first, then the main one: the latter may still be reconnecting.
    await waitFor(() => amqp.stats().connected, 'both connections back', 30_000);
    const stats = amqp.stats();
    expect(stats).toMatchObject({ connected: true, bufferedPublishes: 0, unconfirmedPublishes: 0 });
    expect(stats.channels.consumers).toBe(1);
    // At-least-once: re-sent or requeued messages may arrive twice, never zero times.
    expect(deliveries).toBeGreaterThanOrEqual(total);
  });
});
