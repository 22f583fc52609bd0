import { describe, expect, it } from '@jest/globals';
import { inspect } from 'node:util';
import { TopologyError, UnroutableMessageError } from '../../../lib/errors/index.js';
import type { AmqpTransportOptions } from '../../../lib/transports/amqp/index.js';
import { outbound, runningFakeTransport } from '../../fixtures/amqp-transport.fixture.js';
import type { FakeBrokerOptions } from '../../fixtures/fake-amqp.fixture.js';
import { installAmqpTestHooks } from '../../fixtures/amqp-test-hooks.fixture.js';
import { sleep, waitFor } from '../../fixtures/wait-for.fixture.js';

const hooks = installAmqpTestHooks();

const running = (options: Partial<AmqpTransportOptions> = {}, brokerOptions: FakeBrokerOptions = {}) =>
  runningFakeTransport(hooks, options, brokerOptions);

/** Settles `promise` or reports that it hung for `ms`. */
function within<T>(promise: Promise<T>, ms: number): Promise<'settled' | 'hung'> {
  return Promise.race([promise.then(() => 'settled' as const, () => 'settled' as const), sleep(ms).then(() => 'hung' as const)]);
}

describe('AmqpTransport basic.return correlation', () => {
  it('matches a return by its publish, not by messageId: two sends share a messageId, only one is unroutable', async () => {
    const { broker, transport } = await running({ publisher: { channels: 1 } }, { autoConfirm: false });
    const routable = transport.publish(outbound({ mandatory: true, properties: { messageId: 'same' } }));
    const unroutable = transport
      .publish(outbound({ mandatory: true, routingKey: 'nowhere', properties: { messageId: 'same' } }))
      .catch((e: unknown) => e);
    await waitFor(() => broker.publishes.length === 2, 'both sent');
    const [first, second] = broker.publishes;
    if (!first || !second) throw new Error('expected two publishes');
    // The broker returns the second before confirming the first (e.g. the first waits for a quorum queue).
    second.channel.returnPublish(second);
    first.channel.ackPublish(first);
    second.channel.ackPublish(second);
    await expect(routable).resolves.toBeUndefined();
    expect(await unroutable).toBeInstanceOf(UnroutableMessageError);
    expect(first.options.headers?.['x-publish-id']).not.toEqual(second.options.headers?.['x-publish-id']);
  });
  it('sends no x-publish-id header while a messageId is unique on its channel, and matches its return by messageId', async () => {
    const { broker, transport } = await running({ publisher: { channels: 1 } }, { autoConfirm: false });
    const unroutable = transport
      .publish(outbound({ mandatory: true, routingKey: 'nowhere', properties: { messageId: 'same' } }))
      .catch((e: unknown) => e);
    const routable = transport.publish(outbound({ mandatory: true, properties: { messageId: 'same' } }));
    const other = transport.publish(outbound({ mandatory: true, properties: { messageId: 'other' } }));
    await waitFor(() => broker.publishes.length === 3, 'all sent');
    const [first, second, third] = broker.publishes;
    if (!first || !second || !third) throw new Error('expected three publishes');
    // Only the second carries the header: its messageId was already in flight on the channel.
    expect(first.options.headers?.['x-publish-id']).toBeUndefined();
    expect(typeof second.options.headers?.['x-publish-id']).toBe('string');
    expect(third.options.headers?.['x-publish-id']).toBeUndefined();
    first.channel.returnPublish(first);
    for (const publish of [first, second, third]) publish.channel.ackPublish(publish);
    expect(await unroutable).toBeInstanceOf(UnroutableMessageError);
    await expect(routable).resolves.toBeUndefined();
    await expect(other).resolves.toBeUndefined();
  });
});

describe('AmqpTransport exchange probe', () => {
  it('rejects a publish to a missing exchange on a probe channel, never closing the publisher channel', async () => {
    const { broker, transport } = await running({ publisher: { channels: 1 } });
    broker.refuse((call) =>
      call.kind === 'checkExchange' && call.name === 'ghost' ? { code: 404, text: "NOT_FOUND - no exchange 'ghost' in vhost '/'" } : undefined,
    );
    const [publisher] = broker.openConfirmChannels;
    const results = await Promise.allSettled(
      Array.from({ length: 11 }, (_, i) =>
        transport.publish(outbound(i === 5 ? { exchange: 'ghost' } : { body: Buffer.from(`m${i}`) })),
      ),
    );
    expect(results.map((r) => r.status)).toEqual([...Array(5).fill('fulfilled'), 'rejected', ...Array(5).fill('fulfilled')]);
    const rejected = results[5];
    expect(rejected?.status === 'rejected' && rejected.reason).toBeInstanceOf(TopologyError);
    expect(rejected?.status === 'rejected' && String(rejected.reason)).toContain('"ghost"');
    // Nothing was sent to 'ghost', every neighbour went out once, and the publisher channel lives on.
    expect(broker.publishes.map((p) => p.exchange)).toEqual(Array(10).fill('orders'));
    expect(publisher?.open).toBe(true);
    expect(broker.connections).toHaveLength(1);
  });

  it('probes an undeclared exchange once per connection, and not the declared or built-in ones', async () => {
    const { broker, transport } = await running({ publisher: { channels: 1 } });
    const probes = () => broker.channels.flatMap((c) => c.callsOf('checkExchange')).map((call) => call.name);
    await Promise.all([
      transport.publish(outbound({ exchange: 'other' })),
      transport.publish(outbound({ exchange: 'other' })),
      transport.publish(outbound({ exchange: '' })),
      transport.publish(outbound({ exchange: 'amq.topic' })),
      transport.publish(outbound()),
    ]);
    await transport.publish(outbound({ exchange: 'other' }));
    expect(probes()).toEqual(['other']);
    broker.killConnection();
    await waitFor(() => transport.stats().channels.publishers === 1, 'reconnected');
    await transport.publish(outbound({ exchange: 'other' }));
    expect(probes()).toEqual(['other', 'other']);
  });
});

describe('AmqpTransport publishing after a reconnect', () => {
  it('waits for the topology to be re-asserted before a publisher channel sends anything', async () => {
    const { broker, transport } = await running({ publisher: { channels: 1 } });
    const release = broker.hold((call) => call.kind === 'bindQueue');
    broker.killConnection();
    const topologyChannel = () => broker.connection?.channels.find((c) => !c.confirmMode);
    await waitFor(() => (topologyChannel()?.callsOf('bindQueue').length ?? 0) > 0, 'topology re-assertion started');
    const published = transport.publish(outbound());
    await sleep(50);
    expect(broker.connection?.channels.flatMap((c) => c.publishes)).toEqual([]);

    release();
    await published;
    const [sent] = broker.connection?.channels.flatMap((c) => c.publishes) ?? [];
    expect(sent?.exchange).toBe('orders');
    expect(topologyChannel()?.callsOf('bindQueue')).toHaveLength(3);
  });
});

describe('AmqpTransport shutdown against a broker that stops answering', () => {
  it('bounds a consumer cancel the broker never answers', async () => {
    const { broker, transport } = await running();
    const subscription = await transport.consume({ queue: 'orders.q', prefetch: 1, consumerName: 'c' }, () => undefined);
    const [channel] = broker.consumerChannels('orders.q');
    if (!channel) throw new Error('expected a consumer channel');
    channel.hangCancel = true;
    expect(await within(subscription.cancel(), 3000)).toBe('settled');
    expect(hooks.logger.warnings()).toContainEqual(expect.stringContaining('basic.cancel failed'));
  });

  it('bounds channel closes the broker never answers, so close() finishes', async () => {
    const { broker, transport } = await running();
    await transport.consume({ queue: 'orders.q', prefetch: 1, consumerName: 'c' }, () => undefined);
    for (const channel of broker.openChannels) channel.hangClose = true;
    expect(await within(transport.close(), 5000)).toBe('settled');
    expect(transport.stats().state).toBe('closed');
    expect(hooks.logger.warnings()).toContainEqual(expect.stringContaining('did not confirm the channel close'));
  });
});

describe('AmqpTransport secrets', () => {
  it('never shows the password through inspect, JSON.stringify or String', async () => {
    const { transport } = await running();
    const views = [
      inspect(transport),
      inspect(transport, { depth: Infinity, showHidden: true }),
      inspect({ wrapped: [transport] }, { depth: Infinity }),
      JSON.stringify(transport),
      String(transport),
      `${transport}`,
    ];
    for (const view of views) expect(view).not.toContain('s3cret');
    expect(String(transport)).toContain('amqp://app:***@broker.test:5672/vhost');
    expect(JSON.parse(JSON.stringify(transport))).toMatchObject({ kind: 'amqp', urls: ['amqp://app:***@broker.test:5672/vhost'] });
  });
});
