import { describe, expect, it } from '@jest/globals';
import { AmqpTransport, type AmqpTransportOptions } from '../../../lib/transports/amqp/index.js';
import type { AmqpConnectionFactory } from '../../../lib/testing/index.js';
import { ORDERS_TOPOLOGY } from '../../fixtures/amqp-transport.fixture.js';
import { FakeAmqpBroker } from '../../fixtures/fake-amqp.fixture.js';
import { installAmqpTestHooks } from '../../fixtures/amqp-test-hooks.fixture.js';
import { waitFor } from '../../fixtures/wait-for.fixture.js';

const hooks = installAmqpTestHooks();

/** A transport whose factory hands out a fresh fake broker (one connection manager) per call. */
function twoConnections(options: Partial<AmqpTransportOptions> = {}): { transport: AmqpTransport; brokers: FakeAmqpBroker[] } {
  const brokers: FakeAmqpBroker[] = [];
  const factory: AmqpConnectionFactory = (urls, managerOptions) => {
    const broker = new FakeAmqpBroker();
    brokers.push(broker);
    return broker.factory(urls, managerOptions);
  };
  const transport = new AmqpTransport({
    urls: 'amqp://app:s3cret@broker.test:5672/vhost',
    reconnectDelayMs: 5,
    connectTimeoutMs: 300,
    closeTimeoutMs: 300,
    connectionName: 'orders-svc',
    connectionFactory: factory,
    ...options,
  });
  hooks.closeAfterTest(() => transport.close());
  return { transport, brokers };
}

const connectionName = (broker: FakeAmqpBroker | undefined): unknown =>
  broker?.managerOptions?.connectionOptions?.clientProperties?.['connection_name'];

describe('AMQP consumers’ own connection', () => {
  it('opens a second connection, named <name>:consume, with the first consumer and puts consumer channels on it', async () => {
    const { transport, brokers } = twoConnections();
    await transport.start(ORDERS_TOPOLOGY);
    expect(brokers).toHaveLength(1);
    expect(transport.stats().connections).toEqual({ main: true });

    await transport.consume({ queue: 'orders.q', prefetch: 10, consumerName: 'billing' }, () => undefined);
    await transport.consume({ queue: 'audit.q', prefetch: 10, consumerName: 'audit' }, () => undefined);
    const [main, consume] = brokers;
    expect(brokers).toHaveLength(2);
    expect(connectionName(main)).toBe('orders-svc');
    expect(connectionName(consume)).toBe('orders-svc:consume');
    expect(consume!.consumerChannels('orders.q')).toHaveLength(1);
    expect(consume!.consumerChannels('audit.q')).toHaveLength(1);
    expect(main!.channels.some((channel) => channel.consumers.size > 0)).toBe(false);
    await waitFor(() => transport.stats().channels.publishers === 2, 'publishers up');
    expect(consume!.openConfirmChannels).toHaveLength(0);
    expect(transport.stats()).toMatchObject({ connected: true, connections: { main: true, consume: true }, consumers: 2 });
  });

  it('re-consumes (re-asserting the queue’s topology) when only the consumers’ connection drops, and reports it meanwhile', async () => {
    const { transport, brokers } = twoConnections({ reconnectDelayMs: 50 });
    await transport.start(ORDERS_TOPOLOGY);
    await transport.consume({ queue: 'orders.q', prefetch: 10, consumerName: 'billing' }, () => undefined);
    const [main, consume] = brokers;
    const mainChannels = main!.openChannels.length;

    consume!.killConnection();
    expect(transport.stats()).toMatchObject({ connected: false, connections: { main: true, consume: false } });
    await waitFor(() => consume!.consumerChannels('orders.q').length === 1, 'consumer back');
    const [channel] = consume!.consumerChannels('orders.q');
    expect(channel!.callsOf('assertQueue').map((call) => call.name)).toContain('orders.q');
    expect(main!.openChannels).toHaveLength(mainChannels);
    expect(main!.connections).toHaveLength(1);
    expect(transport.stats()).toMatchObject({ connected: true, connections: { main: true, consume: true } });
  });

  it('closes both connections on close', async () => {
    const { transport, brokers } = twoConnections();
    await transport.start(ORDERS_TOPOLOGY);
    await transport.consume({ queue: 'orders.q', prefetch: 10, consumerName: 'billing' }, () => undefined);
    await transport.close();
    expect(brokers.map((broker) => broker.closed)).toEqual([true, true]);
  });

  it('keeps one connection with consumer.connection shared', async () => {
    const { transport, brokers } = twoConnections({ consumer: { connection: 'shared' } });
    await transport.start(ORDERS_TOPOLOGY);
    await transport.consume({ queue: 'orders.q', prefetch: 10, consumerName: 'billing' }, () => undefined);
    expect(brokers).toHaveLength(1);
    expect(brokers[0]!.consumerChannels('orders.q')).toHaveLength(1);
    expect(transport.stats().connections).toEqual({ main: true });
  });

  it('refuses an unknown consumer.connection', () => {
    expect(() => twoConnections({ consumer: { connection: 'pooled' as never } })).toThrow(/consumer\.connection/);
    expect(() => twoConnections({ consumer: { coalesce: true } as never })).toThrow(/consumer/);
  });
});
