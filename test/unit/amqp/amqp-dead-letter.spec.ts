import { describe, expect, it } from '@jest/globals';
import { DeliveryStaleError, InvalidOptionsError } from '../../../lib/errors/index.js';
import { AmqpTransport, type AmqpTransportOptions } from '../../../lib/transports/amqp/index.js';
import type { DeadLetterRequest, TransportDelivery } from '../../../lib/transports/transport.interface.js';
import { fakeTransport, ORDERS_TOPOLOGY } from '../../fixtures/amqp-transport.fixture.js';
import { installAmqpTestHooks } from '../../fixtures/amqp-test-hooks.fixture.js';
import type { FakeAmqpBroker, FakeBrokerOptions } from '../../fixtures/fake-amqp.fixture.js';
import { nextTurn, waitFor } from '../../fixtures/wait-for.fixture.js';

const hooks = installAmqpTestHooks();

const request: DeadLetterRequest = { headers: { 'x-failure-kind': 'handler', 'x-failure-reason': 'boom' }, summary: 'handler failure (test)' };

async function consuming(
  queue: string,
  options: Partial<AmqpTransportOptions> = {},
  brokerOptions: FakeBrokerOptions = {},
): Promise<{ broker: FakeAmqpBroker; transport: AmqpTransport; deliveries: TransportDelivery[] }> {
  const { broker, transport } = fakeTransport(options, brokerOptions);
  hooks.closeAfterTest(() => transport.close());
  await transport.start(ORDERS_TOPOLOGY);
  await waitFor(() => transport.stats().channels.publishers === 2, 'publishers up');
  const deliveries: TransportDelivery[] = [];
  await transport.consume({ queue, prefetch: 10, consumerName: `${queue}-consumer` }, (d) => void deliveries.push(d));
  return { broker, transport, deliveries };
}

describe('AMQP deliveries of a closed channel are stale', () => {
  it.each([
    ['the broker closes the channel (406 PRECONDITION_FAILED)', (broker: FakeAmqpBroker) => broker.remoteCloseChannel(broker.consumerChannels('orders.q')[0]!)],
    ['the connection drops', (broker: FakeAmqpBroker) => broker.killConnection()],
  ])('when %s: signal aborted with DeliveryStaleError, ack false, deadLetter "stale", nothing published', async (_what, close) => {
    const { broker, deliveries } = await consuming('orders.q');
    for (const body of ['a', 'b', 'c']) broker.deliver('orders.q', body, { messageId: body });
    expect(deliveries.map((d) => d.signal.aborted)).toEqual([false, false, false]);
    const publishesBefore = broker.publishes.length;

    close(broker);

    for (const delivery of deliveries) {
      expect(delivery.signal.aborted).toBe(true);
      expect(delivery.signal.reason).toBeInstanceOf(DeliveryStaleError);
      expect((delivery.signal.reason as DeliveryStaleError).queue).toBe('orders.q');
    }
    expect(deliveries[0]?.ack()).toBe(false);
    expect(deliveries[1]?.nack(true)).toBe(false);
    expect(await deliveries[2]?.deadLetter(request)).toBe('stale');
    expect(await deliveries[0]?.deadLetter(request)).toBe('stale');
    expect(broker.publishes).toHaveLength(publishesBefore);
    expect(broker.protocolViolations).toEqual([]);
  });

  it('a dead-letter waiting out its requeue backoff resolves "stale" at once when the channel dies, and sends nothing', async () => {
    const { broker, deliveries } = await consuming('orders.q', { deadLetterRequeueDelayMs: () => 60_000 });
    broker.setUnroutable((publish) => publish.exchange === 'orders.dlx');
    const channel = broker.deliver('orders.q', 'x');
    const errorsBefore = hooks.logger.error.mock.calls.length;
    const outcome = deliveries[0]!.deadLetter(request);
    await waitFor(() => hooks.logger.error.mock.calls.length > errorsBefore, 'copy failed');
    const startedAt = Date.now();
    broker.remoteCloseChannel(channel);
    expect(await outcome).toBe('stale');
    expect(Date.now() - startedAt).toBeLessThan(1000);
    expect(channel.nacks).toEqual([]);
    expect(channel.acks).toEqual([]);
  });
});

describe('AMQP dead-lettering by copy', () => {
  it('publishes a confirmed mandatory copy with the failure headers to the DLX, then acks', async () => {
    const { broker, deliveries } = await consuming('orders.q');
    const channel = broker.deliver('orders.q', 'body', { messageId: 'm1', expiration: '5000', headers: { tenant: 'acme' } });
    expect(await deliveries[0]!.deadLetter(request)).toBe('dead-lettered');
    const copy = broker.publishes.find((p) => p.exchange === 'orders.dlx');
    expect(copy).toMatchObject({
      routingKey: 'orders.q',
      content: Buffer.from('body'),
      options: { mandatory: true, messageId: 'm1', headers: { tenant: 'acme', 'x-failure-kind': 'handler', 'x-failure-reason': 'boom' } },
    });
    expect(copy?.options.expiration).toBeUndefined();
    await nextTurn();
    expect(channel.acks).toHaveLength(1);
  });

  it('requeues after the configured backoff (by attempt) when the copy is unroutable, and logs the error', async () => {
    const attempts: number[] = [];
    const { broker, deliveries } = await consuming('orders.q', {
      deadLetterRequeueDelayMs: (attempt) => {
        attempts.push(attempt);
        return 40 * attempt;
      },
    });
    broker.setUnroutable((publish) => publish.exchange === 'orders.dlx');
    // Attempt 2 by the SDK's retry count: orders.q is a classic queue, where an x-delivery-count header is a producer's and counts for nothing.
    const channel = broker.deliver('orders.q', 'x', { headers: { 'x-retry-attempt': 1 } });
    const startedAt = Date.now();
    expect(await deliveries[0]!.deadLetter(request)).toBe('requeued');
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(75);
    expect(attempts).toEqual([2]);
    expect(channel.nacks.map((n) => n.requeue)).toEqual([true]);
    expect(channel.acks).toEqual([]);
    expect(hooks.logger.error).toHaveBeenCalledWith(
      expect.stringContaining('the message stays in queue "orders.q" and is requeued in 80 ms'),
    );
  });

  it('discards (nack without requeue) on a queue without a DLX, with an error log', async () => {
    const { broker, deliveries } = await consuming('audit.q');
    const channel = broker.deliver('audit.q', 'x');
    expect(await deliveries[0]!.deadLetter(request)).toBe('discarded');
    expect(channel.nacks.map((n) => n.requeue)).toEqual([false]);
    expect(broker.publishes.filter((p) => p.exchange === 'orders.dlx')).toEqual([]);
    expect(hooks.logger.error).toHaveBeenCalledWith(expect.stringContaining('has no dead-letter exchange: the message is DISCARDED'));
  });

  it('rejects a deadLetterRequeueDelayMs that is not a function', () => {
    const { broker } = fakeTransport();
    const options = { urls: 'amqp://localhost', connectionFactory: broker.factory, deadLetterRequeueDelayMs: 100 as unknown as () => number };
    expect(() => new AmqpTransport(options)).toThrow(InvalidOptionsError);
    expect(() => new AmqpTransport(options)).toThrow(/"deadLetterRequeueDelayMs" must be a function/);
  });
});
