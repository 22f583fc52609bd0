import { describe, expect, it } from '@jest/globals';
import { ConsumerDefinitionError, TopologyError } from '../../../lib/errors/index.js';
import type { AmqpTransport } from '../../../lib/transports/amqp/index.js';
import type { TransportDelivery } from '../../../lib/transports/transport.interface.js';
import { fakeTransport, ORDERS_TOPOLOGY } from '../../fixtures/amqp-transport.fixture.js';
import type { FakeAmqpBroker, FakeBrokerOptions, FakeCall, FakeChannel } from '../../fixtures/fake-amqp.fixture.js';
import { installAmqpTestHooks } from '../../fixtures/amqp-test-hooks.fixture.js';
import { nextTurn, waitFor } from '../../fixtures/wait-for.fixture.js';

const hooks = installAmqpTestHooks();

async function running(brokerOptions: FakeBrokerOptions = {}): Promise<{ broker: FakeAmqpBroker; transport: AmqpTransport }> {
  const { broker, transport } = fakeTransport({}, brokerOptions);
  hooks.closeAfterTest(() => transport.close());
  await transport.start(ORDERS_TOPOLOGY);
  return { broker, transport };
}

/** Consumes `queue`, collecting deliveries. */
async function collect(transport: AmqpTransport, queue: string, prefetch = 10): Promise<TransportDelivery[]> {
  const deliveries: TransportDelivery[] = [];
  await transport.consume({ queue, prefetch, consumerName: `${queue}-consumer` }, (delivery) => deliveries.push(delivery));
  return deliveries;
}

function only(channels: FakeChannel[]): FakeChannel {
  expect(channels).toHaveLength(1);
  const [channel] = channels;
  if (!channel) throw new Error('no channel');
  return channel;
}

describe('AmqpTransport consumers', () => {
  it('asserts the queue’s part of the topology, sets the prefetch, then consumes with manual acks', async () => {
    const { broker, transport } = await running();
    await collect(transport, 'orders.q', 7);
    const channel = only(broker.consumerChannels('orders.q'));
    expect(channel.confirmMode).toBe(false);
    const label = (call: FakeCall): string =>
      call.kind === 'assertExchange' || call.kind === 'assertQueue' ? `${call.kind}:${call.name}` : call.kind;
    expect(channel.calls.map(label)).toEqual([
      'assertExchange:orders',
      'assertExchange:orders.dlx',
      'assertQueue:orders.q',
      'bindQueue',
      'prefetch',
      'consume',
    ]);
    expect(channel.prefetchCount).toBe(7);
    expect(channel.callsOf('consume')[0]?.consumerTag).toMatch(/^orders\.q-consumer\./);
  });

  it('maps a delivery to an InboundMessage', async () => {
    const { broker, transport } = await running();
    const deliveries = await collect(transport, 'orders.q');
    const channel = only(broker.consumerChannels('orders.q'));
    const raw = channel.deliver('orders.q', Buffer.from('hi'), {
      messageId: 'm-1',
      contentType: 'application/json',
      deliveryMode: 2,
      expiration: '5000',
      timestamp: 1_700_000_000,
      headers: { tenant: 'acme' },
      correlationId: undefined,
    }, true);
    expect(deliveries[0]?.message).toEqual({
      body: Buffer.from('hi'),
      properties: {
        messageId: 'm-1',
        contentType: 'application/json',
        persistent: true,
        expiration: 5000,
        timestamp: 1_700_000_000,
        headers: { tenant: 'acme' },
      },
      exchange: '',
      routingKey: 'orders.q',
      queue: 'orders.q',
      redelivered: true,
      raw,
    });
  });

  it('acks and nacks on the delivering channel, each delivery once', async () => {
    const { broker, transport } = await running();
    const deliveries = await collect(transport, 'orders.q');
    broker.deliver('orders.q', 'a');
    broker.deliver('orders.q', 'b');
    const [a, b] = deliveries;
    expect(a?.ack()).toBe(true);
    expect(a?.ack()).toBe(false);
    expect(b?.nack(false)).toBe(true);
    expect(b?.nack(true)).toBe(false);
    const channel = only(broker.consumerChannels('orders.q'));
    expect(channel.acks).toHaveLength(1);
    expect(channel.nacks.map((n) => n.requeue)).toEqual([false]);
    expect(broker.protocolViolations).toEqual([]);
  });

  it('restores every consumer after a reconnect, with its prefetch', async () => {
    const { broker, transport } = await running();
    const orders = await collect(transport, 'orders.q', 3);
    const audit = await collect(transport, 'audit.q', 4);
    broker.killConnection();
    expect(transport.stats().channels.consumers).toBe(0);
    await waitFor(() => transport.stats().channels.consumers === 2, 'consumers restored');
    // Consumers live on their own connection: it is the one that came back for them.
    expect(broker.consumeManager?.connections).toHaveLength(2);
    expect(only(broker.consumerChannels('orders.q')).prefetchCount).toBe(3);
    expect(only(broker.consumerChannels('audit.q')).prefetchCount).toBe(4);
    broker.deliver('orders.q', 'after');
    broker.deliver('audit.q', 'after');
    expect(orders).toHaveLength(1);
    expect(audit).toHaveLength(1);
  });

  it('reopens only the channel the broker closed; the connection and other channels stay', async () => {
    const { broker, transport } = await running();
    await collect(transport, 'orders.q');
    await collect(transport, 'audit.q');
    await waitFor(() => transport.stats().channels.publishers === 2, 'publishers up');
    const ordersChannel = only(broker.consumerChannels('orders.q'));
    const others = broker.openChannels.filter((channel) => channel !== ordersChannel);

    broker.remoteCloseChannel(ordersChannel);
    await waitFor(() => broker.consumerChannels('orders.q').length === 1, 'orders consumer back');
    const reopened = only(broker.consumerChannels('orders.q'));
    expect(reopened).not.toBe(ordersChannel);
    expect(reopened.callsOf('consume')).toHaveLength(1);
    expect(broker.connections).toHaveLength(1);
    expect(others.every((channel) => channel.open)).toBe(true);
    expect(broker.openChannels).toHaveLength(others.length + 1);
  });

  it('makes ack a no-op returning false once the delivering channel is gone, never touching the new channel', async () => {
    const { broker, transport } = await running();
    const deliveries = await collect(transport, 'orders.q');
    const oldChannel = broker.deliver('orders.q', 'in flight');
    broker.killConnection();
    await waitFor(() => broker.consumerChannels('orders.q').length === 1, 'consumer restored');
    const newChannel = only(broker.consumerChannels('orders.q'));
    broker.deliver('orders.q', 'redelivered');

    expect(deliveries[0]?.ack()).toBe(false);
    expect(deliveries[0]?.nack(true)).toBe(false);
    expect(oldChannel.acks).toHaveLength(0);
    expect(newChannel.acks).toHaveLength(0);
    expect(newChannel.open).toBe(true);
    expect(broker.protocolViolations).toEqual([]);
    expect(deliveries[1]?.ack()).toBe(true);
    await nextTurn();
    expect(newChannel.acks).toHaveLength(1);
  });

  it('cancel stops deliveries but keeps the channel open for in-flight acks, and does not re-consume later', async () => {
    const { broker, transport } = await running();
    const deliveries: TransportDelivery[] = [];
    const options = { queue: 'orders.q', prefetch: 5, consumerName: 'billing' };
    const subscription = await transport.consume(options, (d) => deliveries.push(d));
    const channel = broker.deliver('orders.q', 'in flight');

    await subscription.cancel();
    await subscription.cancel();
    expect(channel.callsOf('cancel')).toHaveLength(1);
    expect(channel.consumers.size).toBe(0);
    expect(channel.open).toBe(true);
    expect(deliveries[0]?.ack()).toBe(true);
    await nextTurn();
    expect(channel.acks).toHaveLength(1);

    broker.killConnection();
    await waitFor(() => transport.stats().channels.publishers === 2 && broker.consumeManager?.connections.length === 2, 'both connections back');
    expect(broker.consumerChannels('orders.q')).toHaveLength(0);
    // Consumers live on their own connection: nothing consumes on its new one.
    expect(broker.consumeManager?.connections[1]?.channels.some((c) => c.callsOf('consume').length > 0)).toBe(false);
  });

  it('closes a cancelled consumer’s channel on transport.close()', async () => {
    const { broker, transport } = await running();
    const subscription = await transport.consume({ queue: 'orders.q', prefetch: 1, consumerName: 'c' }, () => undefined);
    const channel = only(broker.consumerChannels('orders.q'));
    await subscription.cancel();
    await transport.close();
    expect(channel.open).toBe(false);
    expect(channel.closedBy).toBe('client');
  });

  it('consumes again, after a backoff, when the broker cancels the consumer', async () => {
    const { broker, transport } = await running();
    const deliveries = await collect(transport, 'orders.q');
    const channel = only(broker.consumerChannels('orders.q'));
    channel.cancelFromServer('orders.q');
    expect(channel.consumers.size).toBe(0);
    await waitFor(() => channel.consumers.size === 1, 're-consumed');
    expect(channel.callsOf('consume')).toHaveLength(2);
    expect(channel.callsOf('assertQueue')).toHaveLength(2);
    broker.deliver('orders.q', 'again');
    expect(deliveries).toHaveLength(1);
    expect(hooks.logger.warnings()).toContainEqual(expect.stringContaining('the broker cancelled the consumer'));
  });

  it('rejects consume with a TopologyError when the broker refuses the queue, leaving no channel behind', async () => {
    const { broker, transport } = await running();
    const notFound = { code: 404, text: "NOT_FOUND - no queue 'missing.q'" };
    broker.refuse((call) => (call.kind === 'consume' && call.queue === 'missing.q' ? notFound : undefined));
    const error = await transport
      .consume({ queue: 'missing.q', prefetch: 1, consumerName: 'c' }, () => undefined)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TopologyError);
    expect((error as Error).message).toContain('queue "missing.q"');
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(broker.channels.filter((c) => c.calls.some((call) => call.kind === 'consume'))).toHaveLength(1);
    expect(transport.stats().channels.consumers).toBe(0);
  });

  it('validates consume options', async () => {
    const { transport } = await running();
    await expect(transport.consume({ queue: 'orders.q', prefetch: 0, consumerName: 'c' }, () => undefined)).rejects.toThrow(
      ConsumerDefinitionError,
    );
    await expect(transport.consume({ queue: '', prefetch: 1, consumerName: 'c' }, () => undefined)).rejects.toThrow(
      /names no queue/,
    );
  });

  it('starts consuming once connected when consume is called while disconnected', async () => {
    const { broker, transport } = await running({ autoReconnect: false });
    // The consumers' own connection opens with the first consumer: open it, then lose both connections.
    await collect(transport, 'audit.q');
    broker.killConnection();
    const deliveries = await collect(transport, 'orders.q');
    expect(transport.stats().channels.consumers).toBe(0);
    broker.reconnect();
    await waitFor(() => broker.consumerChannels('orders.q').length === 1, 'consuming');
    broker.deliver('orders.q', 'late');
    expect(deliveries).toHaveLength(1);
  });

  it('survives a handler that throws', async () => {
    const { broker, transport } = await running();
    await transport.consume({ queue: 'orders.q', prefetch: 1, consumerName: 'c' }, () => {
      throw new Error('boom');
    });
    broker.deliver('orders.q', 'x');
    expect(hooks.logger.error).toHaveBeenCalledWith(expect.stringContaining('boom'));
    expect(only(broker.consumerChannels('orders.q')).open).toBe(true);
  });
});

describe('AmqpTransport stats().consumers', () => {
  it('counts consumers registered with the broker, not open consumer channels', async () => {
    const { broker, transport } = await running({ autoReconnect: false });
    const subscription = await transport.consume({ queue: 'orders.q', prefetch: 1, consumerName: 'a' }, () => undefined);
    await transport.consume({ queue: 'audit.q', prefetch: 1, consumerName: 'b' }, () => undefined);
    expect(transport.stats()).toMatchObject({ consumers: 2, channels: { consumers: 2 } });

    // The broker cancels one consumer (queue deleted): its channel stays open, it consumes again later.
    const audit = only(broker.consumerChannels('audit.q'));
    audit.cancelFromServer('audit.q');
    expect(transport.stats()).toMatchObject({ consumers: 1, channels: { consumers: 2 } });
    await waitFor(() => audit.consumers.size === 1, 're-consumed');
    expect(transport.stats()).toMatchObject({ consumers: 2, channels: { consumers: 2 } });

    // A cancelled subscription keeps its channel for in-flight acks, but receives nothing any more.
    await subscription.cancel();
    expect(transport.stats()).toMatchObject({ consumers: 1, channels: { consumers: 2 } });

    broker.killConnection();
    expect(transport.stats()).toMatchObject({ consumers: 0, channels: { consumers: 0 } });
  });
});
