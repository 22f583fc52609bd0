import { describe, expect, it } from '@jest/globals';
import {
  InvalidOptionsError,
  PublishBufferFullError,
  PublishNackedError,
  PublishTimeoutError,
  UnroutableMessageError,
} from '../../../lib/errors/index.js';
import type { AmqpTransport, AmqpTransportOptions } from '../../../lib/transports/amqp/index.js';
import { outbound, runningFakeTransport } from '../../fixtures/amqp-transport.fixture.js';
import type { FakeAmqpBroker, FakeBrokerOptions, FakeChannel } from '../../fixtures/fake-amqp.fixture.js';
import { installAmqpTestHooks } from '../../fixtures/amqp-test-hooks.fixture.js';
import { flushMicrotasks, waitFor } from '../../fixtures/wait-for.fixture.js';

const hooks = installAmqpTestHooks();

interface Running {
  broker: FakeAmqpBroker;
  transport: AmqpTransport;
  /** Publisher channels of the current connection, in pool order. */
  publishers: () => FakeChannel[];
}

async function running(options: Partial<AmqpTransportOptions> = {}, brokerOptions: FakeBrokerOptions = {}): Promise<Running> {
  const { broker, transport } = await runningFakeTransport(hooks, options, brokerOptions);
  return { broker, transport, publishers: () => broker.openConfirmChannels };
}

const bodies = (publishes: { content: Buffer }[]): string[] => publishes.map((p) => p.content.toString());

describe('AmqpTransport publishing', () => {
  it('resolves on the broker ack and maps message properties to publish options', async () => {
    const { broker, transport } = await running();
    await transport.publish(
      outbound({
        mandatory: true,
        properties: {
          messageId: 'm-1',
          correlationId: 'c-1',
          contentType: 'application/json',
          type: 'OrderCreated',
          timestamp: 1_700_000_000,
          expiration: 5000,
          persistent: true,
          priority: 3,
          headers: { tenant: 'acme', dropped: undefined },
        },
      }),
    );
    expect(broker.publishes[0]?.options).toEqual({
      mandatory: true,
      messageId: 'm-1',
      correlationId: 'c-1',
      contentType: 'application/json',
      type: 'OrderCreated',
      timestamp: 1_700_000_000,
      expiration: '5000',
      persistent: true,
      priority: 3,
      headers: { tenant: 'acme' },
    });
  });

  it('gives every message without one a random UUID messageId', async () => {
    const { broker, transport } = await running();
    await transport.publish(outbound());
    await transport.publish(outbound());
    const [first, second] = broker.publishes.map((p) => p.options.messageId);
    expect(first).toMatch(/^[0-9a-f-]{36}$/);
    expect(second).not.toBe(first);
  });

  it('rejects with PublishNackedError when the broker nacks', async () => {
    const { publishers, transport } = await running({}, { autoConfirm: false });
    const result = transport.publish(outbound()).catch((e: unknown) => e);
    const [sent] = publishers().flatMap((channel) => channel.unconfirmedPublishes);
    sent?.channel.nackPublish(sent);
    const error = await result;
    expect(error).toBeInstanceOf(PublishNackedError);
    expect(error).toMatchObject({ exchange: 'orders', routingKey: 'order.created' });
  });

  it('rejects an unroutable mandatory message with UnroutableMessageError, matching the return by messageId', async () => {
    const { broker, transport } = await running();
    broker.setUnroutable((p) => p.routingKey === 'nowhere');
    const unroutable = transport.publish(outbound({ routingKey: 'nowhere', mandatory: true })).catch((e: unknown) => e);
    const routable = transport.publish(outbound({ mandatory: true }));
    expect(await unroutable).toEqual(new UnroutableMessageError('orders', 'nowhere', 'NO_ROUTE'));
    await expect(routable).resolves.toBeUndefined();
  });

  it('correlates a return with the right publish when several are in flight on the channel', async () => {
    const { publishers, transport } = await running({ publisher: { channels: 1 } }, { autoConfirm: false });
    const a = transport.publish(outbound({ mandatory: true, properties: { messageId: 'a' } }));
    const b = transport
      .publish(outbound({ mandatory: true, routingKey: 'x', properties: { messageId: 'b' } }))
      .catch((e: unknown) => e);
    const [channel] = publishers();
    const [pa, pb] = channel?.unconfirmedPublishes ?? [];
    if (!channel || !pa || !pb) throw new Error('expected two publishes');
    channel.returnPublish(pb, 'NO_ROUTE');
    channel.ackPublish(pa);
    channel.ackPublish(pb);
    await expect(a).resolves.toBeUndefined();
    expect(await b).toMatchObject({ code: 'MESSAGE_UNROUTABLE', routingKey: 'x' });
  });

  it('holds at most maxUnconfirmedPerChannel in flight per channel; the rest waits in the buffer', async () => {
    const { publishers, transport } = await running(
      { publisher: { channels: 2, maxUnconfirmedPerChannel: 2 } },
      { autoConfirm: false },
    );
    // One ordering key each, so the strategy may spread them over both channels.
    const results = Array.from({ length: 6 }, (_, i) =>
      transport.publish(outbound({ body: Buffer.from(`m${i}`), orderingKey: `k${i}` })),
    );
    const [c1, c2] = publishers();
    if (!c1 || !c2) throw new Error('expected two publisher channels');
    expect(c1.unconfirmedPublishes).toHaveLength(2);
    expect(c2.unconfirmedPublishes).toHaveLength(2);
    expect(transport.stats()).toMatchObject({ bufferedPublishes: 2, unconfirmedPublishes: 4 });

    const first = c1.unconfirmedPublishes[0];
    if (first) c1.ackPublish(first);
    await flushMicrotasks();
    expect(bodies(c1.unconfirmedPublishes)).toEqual(['m2', 'm4']);
    expect(transport.stats()).toMatchObject({ bufferedPublishes: 1, unconfirmedPublishes: 4 });

    for (const channel of [c1, c2]) for (const p of channel.unconfirmedPublishes) channel.ackPublish(p);
    await flushMicrotasks();
    for (const p of c1.unconfirmedPublishes) c1.ackPublish(p);
    for (const p of c2.unconfirmedPublishes) c2.ackPublish(p);
    await Promise.all(results);
  });

  it('least-loaded puts a new ordering key on the channel with the fewest unconfirmed messages', async () => {
    const { publishers, transport } = await running({ publisher: { strategy: 'least-loaded' } }, { autoConfirm: false });
    const [c1, c2] = publishers();
    if (!c1 || !c2) throw new Error('expected two publisher channels');
    for (let i = 0; i < 3; i++) {
      const publishing = transport.publish(outbound());
      const sent = c1.unconfirmedPublishes[0];
      expect(sent).toBeDefined();
      if (sent) c1.ackPublish(sent);
      await publishing;
    }
    expect(c1.publishes).toHaveLength(3);
    expect(c2.publishes).toHaveLength(0);
    const pending = [transport.publish(outbound({ orderingKey: 'a' })), transport.publish(outbound({ orderingKey: 'b' }))];
    expect(c1.unconfirmedPublishes).toHaveLength(1);
    expect(c2.unconfirmedPublishes).toHaveLength(1);
    for (const channel of [c1, c2]) for (const p of channel.unconfirmedPublishes) channel.ackPublish(p);
    await Promise.all(pending);
  });

  it('round-robin rotates over the channels regardless of load', async () => {
    const { broker, publishers, transport } = await running({ publisher: { strategy: 'round-robin' } });
    for (let i = 0; i < 4; i++) await transport.publish(outbound({ body: Buffer.from(`m${i}`) }));
    const [c1, c2] = publishers();
    expect(bodies(c1?.publishes ?? [])).toEqual(['m0', 'm2']);
    expect(bodies(c2?.publishes ?? [])).toEqual(['m1', 'm3']);
    expect(broker.publishes).toHaveLength(4);
  });

  it('stops sending on a channel whose publish returned false until it drains', async () => {
    const { publishers, transport } = await running({ publisher: { channels: 1 } });
    const [channel] = publishers();
    if (!channel) throw new Error('expected a publisher channel');
    channel.publishReturns = false;
    const first = transport.publish(outbound({ body: Buffer.from('first') }));
    const second = transport.publish(outbound({ body: Buffer.from('second') }));
    await first;
    expect(transport.stats().bufferedPublishes).toBe(1);
    channel.drain();
    await second;
    expect(bodies(channel.publishes)).toEqual(['first', 'second']);
  });
});

describe('AmqpTransport offline buffer', () => {
  it('buffers while disconnected and, with whenBufferFull "fail", rejects at once with PublishBufferFullError when full', async () => {
    const { broker, transport } = await running({ publisher: { bufferSize: 3, whenBufferFull: 'fail' } }, { autoReconnect: false });
    broker.killConnection();
    const buffered = [1, 2, 3].map(() => transport.publish(outbound()));
    await expect(transport.publish(outbound())).rejects.toEqual(new PublishBufferFullError(3));
    expect(transport.stats()).toMatchObject({ connected: false, bufferedPublishes: 3 });
    broker.reconnect();
    await Promise.all(buffered);
  });

  it('rejects a publish that waited longer than publishTimeoutMs with PublishTimeoutError("buffered")', async () => {
    const { broker, transport } = await running({ publisher: { publishTimeoutMs: 30 } }, { autoReconnect: false });
    broker.killConnection();
    const error = await transport.publish(outbound()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PublishTimeoutError);
    expect(error).toMatchObject({ phase: 'buffered', timeoutMs: 30 });
    expect(transport.stats().bufferedPublishes).toBe(0);
  });

  it('rejects a publish the broker never confirms with PublishTimeoutError("unconfirmed")', async () => {
    const { transport } = await running({ publisher: { publishTimeoutMs: 30 } }, { autoConfirm: false });
    const error = await transport.publish(outbound()).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'PUBLISH_TIMEOUT', phase: 'unconfirmed' });
    // The broker still holds it: it stays counted until the broker answers (amqp-publish-timeouts.spec.ts).
    expect(transport.stats()).toMatchObject({ unconfirmedPublishes: 1, timedOutUnconfirmedPublishes: 1 });
  });

  it('flushes buffered messages in publish order after the reconnect', async () => {
    const { broker, transport } = await running({ publisher: { channels: 1 } }, { autoReconnect: false });
    broker.killConnection();
    const results = Array.from({ length: 5 }, (_, i) => transport.publish(outbound({ body: Buffer.from(`m${i}`) })));
    expect(broker.publishes).toHaveLength(0);
    broker.reconnect();
    await Promise.all(results);
    expect(bodies(broker.publishes)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
  });

  it('re-sends unconfirmed messages in their original order when their channels die, ahead of newer ones', async () => {
    const { broker, transport } = await running(
      { publisher: { channels: 2, strategy: 'round-robin' } },
      { autoConfirm: false, autoReconnect: false },
    );
    const results = Array.from({ length: 4 }, (_, i) =>
      transport.publish(outbound({ body: Buffer.from(`m${i}`), orderingKey: `k${i}` })),
    );
    expect(broker.openConfirmChannels.map((channel) => bodies(channel.publishes))).toEqual([
      ['m0', 'm2'],
      ['m1', 'm3'],
    ]);
    broker.killConnection();
    // Same key as m0: it must stay behind m0's re-send.
    results.push(transport.publish(outbound({ body: Buffer.from('m4'), orderingKey: 'k0' })));
    expect(transport.stats()).toMatchObject({ bufferedPublishes: 5, unconfirmedPublishes: 0 });

    broker.reconnect();
    await waitFor(() => broker.connection?.channels.flatMap((c) => c.publishes).length === 5, 're-sent');
    const fresh = broker.connection?.channels.filter((channel) => channel.confirmMode) ?? [];
    expect(fresh.map((channel) => bodies(channel.publishes))).toEqual([
      ['m0', 'm2', 'm4'],
      ['m1', 'm3'],
    ]);
    const resent = fresh.flatMap((channel) => channel.publishes);
    for (const p of resent) p.channel.ackPublish(p);
    await Promise.all(results);
  });

  it('re-sends the unconfirmed messages of a channel the broker closed on its reopened channel, same messageId', async () => {
    const { broker, publishers, transport } = await running({ publisher: { channels: 1 } }, { autoConfirm: false });
    const results = [0, 1, 2].map((i) => transport.publish(outbound({ body: Buffer.from(`m${i}`) })));
    const [channel] = publishers();
    if (!channel) throw new Error('expected a publisher channel');
    const ids = channel.publishes.map((p) => p.options.messageId);
    broker.remoteCloseChannel(channel);
    expect(channel.publishes.every((p) => p.state === 'lost')).toBe(true);

    await waitFor(() => publishers().length === 1 && publishers()[0] !== channel, 'channel reopened');
    const [reopened] = publishers();
    await waitFor(() => reopened?.publishes.length === 3, 're-sent');
    expect(bodies(reopened?.publishes ?? [])).toEqual(['m0', 'm1', 'm2']);
    expect(reopened?.publishes.map((p) => p.options.messageId)).toEqual(ids);
    for (const p of reopened?.publishes ?? []) reopened?.ackPublish(p);
    await Promise.all(results);
    expect(broker.connections).toHaveLength(1);
    expect(hooks.logger.warnings()).toContainEqual(expect.stringContaining('3 unconfirmed message(s); they will be sent again'));
  });
});

describe('AmqpTransport publishing to a missing exchange', () => {
  it('fails those publishes with a TopologyError after the fallback 404 on the publisher channel, and re-sends the others', async () => {
    const { broker, publishers, transport } = await running({ publisher: { channels: 1 } }, { autoConfirm: false });
    const ghost = transport.publish(outbound({ exchange: 'ghost' })).catch((e: unknown) => e);
    const fine = transport.publish(outbound({ body: Buffer.from('fine') }));
    const [channel] = publishers();
    if (!channel) throw new Error('expected a publisher channel');
    // The probe found 'ghost' (the fake has every exchange); it is deleted before the publish lands.
    await waitFor(() => channel.publishes.length === 2, 'both sent');
    broker.remoteCloseChannel(channel, { code: 404, text: "NOT_FOUND - no exchange 'ghost' in vhost '/'" });

    const error = await ghost;
    expect(error).toMatchObject({ code: 'TOPOLOGY_INVALID' });
    expect((error as Error).message).toContain('exchange "ghost"');
    await waitFor(() => publishers()[0]?.publishes.length === 1, 'the other message re-sent');
    const [resent] = publishers()[0]?.publishes ?? [];
    expect(resent?.content.toString()).toBe('fine');
    if (resent) resent.channel.ackPublish(resent);
    await fine;
  });
});

describe('AmqpTransport publish property checks', () => {
  it.each([
    [{ expiration: -1 }, /"expiration"/],
    [{ expiration: 1.5 }, /"expiration"/],
    [{ priority: 256 }, /"priority" must be an integer from 0 to 255/],
  ])('rejects a property the broker would refuse by closing the channel (%#)', async (properties, message) => {
    const { broker, transport } = await running();
    await expect(transport.publish(outbound({ properties }))).rejects.toThrow(message);
    await expect(transport.publish(outbound({ properties }))).rejects.toBeInstanceOf(InvalidOptionsError);
    expect(broker.publishes).toHaveLength(0);
    expect(transport.stats().bufferedPublishes).toBe(0);
  });
});

describe('AmqpTransport publishing a message amqplib cannot encode', () => {
  it('rejects that publish with the encoding error and keeps the channel for the others', async () => {
    const { broker, transport } = await running({ publisher: { channels: 1 } });
    broker.setUnencodable((options) => options.messageId === 'bad');
    await expect(transport.publish(outbound({ properties: { messageId: 'bad' } }))).rejects.toThrow(TypeError);
    await expect(transport.publish(outbound({ properties: { messageId: 'good' } }))).resolves.toBeUndefined();
    expect(transport.stats()).toMatchObject({ bufferedPublishes: 0, unconfirmedPublishes: 0, channels: { publishers: 1 } });
  });
});
