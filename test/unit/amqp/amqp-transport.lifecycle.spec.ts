import { describe, expect, it } from '@jest/globals';
import {
  InvalidOptionsError,
  PublishTimeoutError,
  TransportConnectionError,
  TransportStateError,
} from '../../../lib/errors/index.js';
import { AmqpTransport } from '../../../lib/transports/amqp/index.js';
import { fakeTransport, ORDERS_TOPOLOGY, outbound } from '../../fixtures/amqp-transport.fixture.js';
import { FakeAmqpBroker } from '../../fixtures/fake-amqp.fixture.js';
import { installAmqpTestHooks } from '../../fixtures/amqp-test-hooks.fixture.js';
import { flushMicrotasks, waitFor } from '../../fixtures/wait-for.fixture.js';

const hooks = installAmqpTestHooks();

const consumeOptions = { queue: 'orders.q', prefetch: 5, consumerName: 'billing' };

describe('AmqpTransport options', () => {
  const broker = new FakeAmqpBroker();
  const base = { urls: 'amqp://localhost', connectionFactory: broker.factory };

  it.each([
    [{ ...base, urls: [] }, /"urls" must name at least one broker/],
    [{ ...base, urls: 'http://localhost' }, /amqp: or amqps:/],
    [{ ...base, urls: 'not a url' }, /not a valid URL/],
    [{ ...base, heartbeatSeconds: -1 }, /"heartbeatSeconds" must be a non-negative integer, got -1/],
    [{ ...base, reconnectDelayMs: 0 }, /"reconnectDelayMs" must be an integer >= 1, got 0/],
    [{ ...base, connectTimeoutMs: 1.5 }, /"connectTimeoutMs"/],
    [{ ...base, publisher: { channels: 0 } }, /"publisher.channels" must be an integer >= 1/],
    [{ ...base, publisher: { maxUnconfirmedPerChannel: Number.NaN } }, /"publisher.maxUnconfirmedPerChannel"/],
    [{ ...base, publisher: { bufferSize: -5 } }, /"publisher.bufferSize" must be a non-negative integer/],
    [{ ...base, publisher: { strategy: 'random' as 'round-robin' } }, /"publisher.strategy"/],
    [{ ...base, publisher: { whenBufferFull: 'drop' as 'fail' } }, /"publisher.whenBufferFull" must be "wait" or "fail"/],
  ])('rejects invalid options with a message naming the option (%#)', (options, message) => {
    expect(() => new AmqpTransport(options)).toThrow(message);
    expect(() => new AmqpTransport(options)).toThrow(InvalidOptionsError);
  });

  it('never echoes a password in a URL error', () => {
    expect(() => new AmqpTransport({ ...base, urls: 'http://user:hunter2@host' })).toThrow(/user:\*\*\*@host/);
  });

  it('hands heartbeat, reconnect delay and connection name to the connection factory', async () => {
    const { broker: fake, transport } = fakeTransport({
      urls: ['amqp://a:1@n1', 'amqp://a:1@n2'],
      heartbeatSeconds: 7,
      reconnectDelayMs: 250,
      connectionName: 'orders-service',
    });
    hooks.closeAfterTest(() => transport.close());
    await transport.start({});
    expect(fake.urls).toEqual(['amqp://a:1@n1', 'amqp://a:1@n2']);
    expect(fake.managerOptions).toEqual({
      heartbeatIntervalInSeconds: 7,
      reconnectTimeInSeconds: 0.25,
      connectionOptions: { clientProperties: { connection_name: 'orders-service' } },
    });
  });
});

describe('AmqpTransport lifecycle', () => {
  it('rejects publish and consume before start, and a second start', async () => {
    const { transport } = fakeTransport();
    hooks.closeAfterTest(() => transport.close());
    await expect(transport.publish(outbound())).rejects.toThrow(TransportStateError);
    await expect(transport.consume(consumeOptions, () => undefined)).rejects.toThrow(TransportStateError);
    await transport.start(ORDERS_TOPOLOGY);
    await expect(transport.start(ORDERS_TOPOLOGY)).rejects.toThrow(TransportStateError);
  });

  it('rejects publish and consume after close, and close is idempotent', async () => {
    const { broker, transport } = fakeTransport();
    await transport.start(ORDERS_TOPOLOGY);
    const first = transport.close();
    expect(transport.close()).toBe(first);
    await first;
    await transport.close();
    expect(broker.closed).toBe(true);
    expect(broker.openChannels).toHaveLength(0);
    await expect(transport.publish(outbound())).rejects.toThrow(TransportStateError);
    await expect(transport.consume(consumeOptions, () => undefined)).rejects.toThrow(TransportStateError);
    await expect(transport.start(ORDERS_TOPOLOGY)).rejects.toThrow(TransportStateError);
  });

  it('closing a transport that never started is a no-op', async () => {
    const { broker, transport } = fakeTransport();
    await transport.close();
    expect(broker.connections).toHaveLength(0);
    expect(transport.stats().state).toBe('closed');
  });

  it('fails start fast when the broker refuses the credentials', async () => {
    const { broker, transport } = fakeTransport({ connectTimeoutMs: 10_000 }, { refuseCredentials: true });
    const startedAt = Date.now();
    const error = await transport.start({}).catch((e: unknown) => e);
    expect(Date.now() - startedAt).toBeLessThan(1000);
    expect(error).toBeInstanceOf(TransportConnectionError);
    expect((error as Error).message).toMatch(/refused the credentials/);
    expect((error as Error).message).toContain('amqp://app:***@broker.test:5672/vhost');
    expect((error as Error).message).not.toContain('s3cret');
    expect(broker.closed).toBe(true);
  });

  it('fails start after connectTimeoutMs when no broker answers, naming the URLs without passwords', async () => {
    const { broker, transport } = fakeTransport({ connectTimeoutMs: 50 }, { unreachable: true });
    const startedAt = Date.now();
    const error = await transport.start({}).catch((e: unknown) => e);
    const elapsedMs = Date.now() - startedAt;
    // After connectTimeoutMs, not at the first refusal (5 ms for clock granularity); 400 ms of margin for
    // a loaded 2-core machine.
    expect(elapsedMs).toBeGreaterThanOrEqual(50 - 5);
    expect(elapsedMs).toBeLessThanOrEqual(50 + 400);
    expect(error).toBeInstanceOf(TransportConnectionError);
    expect((error as Error).message).toContain('within 50 ms');
    expect((error as Error).message).toContain('ECONNREFUSED');
    expect((error as Error).message).toContain('amqp://app:***@broker.test:5672/vhost');
    expect((error as Error).message).not.toContain('s3cret');
    expect(broker.closed).toBe(true);
    expect(transport.stats().state).toBe('closed');
  });

  it('close waits for unconfirmed publishes before closing channels and the connection', async () => {
    const { broker, transport } = fakeTransport({}, { autoConfirm: false });
    await transport.start(ORDERS_TOPOLOGY);
    await waitFor(() => transport.stats().channels.publishers === 2, 'publishers up');
    const published = transport.publish(outbound());
    expect(transport.stats().unconfirmedPublishes).toBe(1);

    let closed = false;
    const closing = transport.close().then(() => (closed = true));
    await flushMicrotasks();
    expect(closed).toBe(false);
    await expect(transport.publish(outbound())).rejects.toThrow(/closing/);
    expect(broker.openChannels.length).toBeGreaterThan(0);

    const [pending] = broker.openConfirmChannels.flatMap((channel) => channel.unconfirmedPublishes);
    pending?.channel.ackPublish(pending);
    await published;
    await closing;
    expect(broker.openChannels).toHaveLength(0);
    expect(broker.closed).toBe(true);
  });

  it('close gives up after closeTimeoutMs and fails what is left with PublishTimeoutError', async () => {
    const { broker, transport } = fakeTransport({ closeTimeoutMs: 30 }, { autoConfirm: false, autoReconnect: false });
    await transport.start(ORDERS_TOPOLOGY);
    await waitFor(() => transport.stats().channels.publishers === 2, 'publishers up');
    const unconfirmed = transport.publish(outbound()).catch((e: unknown) => e);
    broker.killConnection(); // the message goes back to the buffer...
    const buffered = transport.publish(outbound()).catch((e: unknown) => e);
    await transport.close();
    expect(await unconfirmed).toBeInstanceOf(PublishTimeoutError);
    expect(await buffered).toMatchObject({ phase: 'buffered', timeoutMs: 30 });
  });

  it('reports stats', async () => {
    const { broker, transport } = fakeTransport({}, { autoConfirm: false });
    hooks.closeAfterTest(() => transport.close());
    expect(transport.stats()).toMatchObject({ state: 'created', connected: false });
    await transport.start(ORDERS_TOPOLOGY);
    await transport.consume(consumeOptions, () => undefined);
    await waitFor(() => transport.stats().channels.publishers === 2, 'publishers up');
    const publishing = transport.publish(outbound());
    expect(transport.stats()).toEqual({
      state: 'running',
      connected: true,
      connections: { main: true, consume: true },
      blocked: false,
      stuckDeliveries: 0,
      unavailableQueues: [],
      waitingPublishes: 0,
      bufferedPublishes: 0,
      unconfirmedPublishes: 1,
      timedOutUnconfirmedPublishes: 0,
      consumers: 1,
      channels: { topology: 1, publishers: 2, consumers: 1 },
    });
    broker.openConfirmChannels.flatMap((channel) => channel.unconfirmedPublishes).forEach((p) => p.channel.ackPublish(p));
    await publishing;
  });
});
