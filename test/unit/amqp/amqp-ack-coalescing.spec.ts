import { describe, expect, it } from '@jest/globals';
import type { AmqpTransport, AmqpTransportOptions } from '../../../lib/transports/amqp/index.js';
import type { TransportDelivery } from '../../../lib/transports/transport.interface.js';
import { fakeTransport, ORDERS_TOPOLOGY } from '../../fixtures/amqp-transport.fixture.js';
import type { FakeAmqpBroker, FakeChannel } from '../../fixtures/fake-amqp.fixture.js';
import { installAmqpTestHooks } from '../../fixtures/amqp-test-hooks.fixture.js';
import { nextTurn, waitFor } from '../../fixtures/wait-for.fixture.js';

const hooks = installAmqpTestHooks();

interface Consuming {
  readonly broker: FakeAmqpBroker;
  readonly transport: AmqpTransport;
  readonly channel: FakeChannel;
  readonly deliveries: TransportDelivery[];
  readonly cancel: () => Promise<void>;
}

async function consuming(prefetch = 100, options: Partial<AmqpTransportOptions> = {}): Promise<Consuming> {
  const { broker, transport } = fakeTransport(options);
  hooks.closeAfterTest(() => transport.close());
  await transport.start(ORDERS_TOPOLOGY);
  const deliveries: TransportDelivery[] = [];
  const subscription = await transport.consume({ queue: 'orders.q', prefetch, consumerName: 'billing' }, (d) => deliveries.push(d));
  const [channel] = broker.consumerChannels('orders.q');
  if (!channel) throw new Error('no consumer channel');
  return { broker, transport, channel, deliveries, cancel: () => subscription.cancel() };
}

function deliver(channel: FakeChannel, count: number): void {
  for (let i = 0; i < count; i++) channel.deliver('orders.q', Buffer.from(`m${i}`));
}

/** Delivery tags of the deliveries at these (1-based) positions. */
const tagsOf = (deliveries: TransportDelivery[], ...positions: number[]): number[] =>
  positions.map((position) => (deliveries[position - 1]!.message.raw as { fields: { deliveryTag: number } }).fields.deliveryTag);

const ackedTags = (channel: FakeChannel): number[] => channel.acks.map((message) => message.fields.deliveryTag).sort((a, b) => a - b);

describe('AMQP ack coalescing', () => {
  it('acks a run settled in one turn with a single multi-ack on its last tag', async () => {
    const { channel, deliveries, broker } = await consuming();
    deliver(channel, 5);
    for (const delivery of deliveries) expect(delivery.ack()).toBe(true);
    expect(channel.ackFrames).toEqual([]);
    await nextTurn();
    expect(channel.ackFrames).toEqual([{ tag: 5, multiple: true }]);
    expect(ackedTags(channel)).toEqual([1, 2, 3, 4, 5]);
    expect(channel.unsettledTags).toEqual([]);
    expect(broker.protocolViolations).toEqual([]);
  });

  it('never covers a delivery still being handled: completions behind it go out one by one', async () => {
    const { channel, deliveries, broker } = await consuming();
    deliver(channel, 6);
    deliveries[1]!.ack();
    deliveries[2]!.ack();
    await nextTurn();
    expect(channel.ackFrames).toEqual([
      { tag: 2, multiple: false },
      { tag: 3, multiple: false },
    ]);
    expect(channel.unsettledTags).toEqual(tagsOf(deliveries, 1, 4, 5, 6));

    deliveries[4]!.ack();
    deliveries[0]!.ack();
    deliveries[3]!.ack();
    await nextTurn();
    // 1 closed the gap, and 4 then 5 joined its run: one frame, and 6 (unsettled) is not covered.
    expect(channel.ackFrames.slice(2)).toEqual([{ tag: 5, multiple: true }]);
    expect(channel.unsettledTags).toEqual([6]);
    expect(broker.protocolViolations).toEqual([]);
  });

  it('sends the acks waiting before a nack first, then the nack on its own', async () => {
    const { channel, deliveries, broker } = await consuming();
    deliver(channel, 4);
    deliveries[0]!.ack();
    deliveries[1]!.ack();
    expect(deliveries[2]!.nack(true)).toBe(true);
    expect(channel.ackFrames).toEqual([{ tag: 2, multiple: true }]);
    expect(channel.nacks.map(({ message, requeue }) => [message.fields.deliveryTag, requeue])).toEqual([[3, true]]);
    deliveries[3]!.ack();
    await nextTurn();
    expect(channel.ackFrames).toEqual([
      { tag: 2, multiple: true },
      { tag: 4, multiple: false },
    ]);
    expect(ackedTags(channel)).toEqual([1, 2, 4]);
    expect(channel.unsettledTags).toEqual([]);
    expect(broker.protocolViolations).toEqual([]);
  });

  it('drops the pending acks of a channel that dies, never sending them on its replacement', async () => {
    const { channel, deliveries, broker } = await consuming();
    deliver(channel, 3);
    for (const delivery of deliveries) expect(delivery.ack()).toBe(true);
    broker.remoteCloseChannel(channel);
    await waitFor(() => broker.consumerChannels('orders.q').length === 1, 'consumer back on a new channel');
    const [replacement] = broker.consumerChannels('orders.q');
    await nextTurn();
    expect(channel.ackFrames).toEqual([]);
    expect(replacement!.ackFrames).toEqual([]);
    expect(broker.protocolViolations).toEqual([]);
    // Late settlements of the dead channel's deliveries are refused, not rerouted.
    expect(deliveries[0]!.nack(true)).toBe(false);

    deliver(replacement!, 2);
    deliveries[3]!.ack();
    deliveries[4]!.ack();
    await nextTurn();
    expect(replacement!.ackFrames).toEqual([{ tag: 2, multiple: true }]);
    expect(broker.protocolViolations).toEqual([]);
  });

  it('flushes on cancel, and on close before the channel closes', async () => {
    const first = await consuming();
    deliver(first.channel, 2);
    first.deliveries.forEach((delivery) => delivery.ack());
    await first.cancel();
    expect(first.channel.ackFrames).toEqual([{ tag: 2, multiple: true }]);

    const second = await consuming();
    deliver(second.channel, 3);
    second.deliveries.forEach((delivery) => delivery.ack());
    await second.transport.close();
    expect(second.channel.closedBy).toBe('client');
    expect(ackedTags(second.channel)).toEqual([1, 2, 3]);
    expect(second.broker.protocolViolations).toEqual([]);
  });

  it('sends a run as soon as it reaches a quarter of the prefetch, without waiting for the turn to end', async () => {
    const { channel, deliveries } = await consuming(8);
    deliver(channel, 5);
    deliveries[0]!.ack();
    expect(channel.ackFrames).toEqual([]);
    deliveries[1]!.ack();
    expect(channel.ackFrames).toEqual([{ tag: 2, multiple: true }]);
    deliveries[2]!.ack();
    await nextTurn();
    expect(channel.ackFrames).toEqual([
      { tag: 2, multiple: true },
      { tag: 3, multiple: false },
    ]);
  });

  it('acks each delivery at once with consumer.coalesceAcks false', async () => {
    const { channel, deliveries } = await consuming(100, { consumer: { coalesceAcks: false } });
    deliver(channel, 2);
    deliveries[1]!.ack();
    deliveries[0]!.ack();
    expect(channel.ackFrames).toEqual([
      { tag: 2, multiple: false },
      { tag: 1, multiple: false },
    ]);
  });

  it('settles everything exactly once under random completion order across turns', async () => {
    const { channel, deliveries, broker } = await consuming(1000);
    const count = 300;
    deliver(channel, count);
    // A fixed pseudo-random order, settled in bursts spread over turns; every 17th is nacked.
    let seed = 7;
    const order = [...deliveries.keys()].sort(() => ((seed = (seed * 16807) % 2147483647) % 3) - 1);
    const nacked = new Set<number>();
    for (let i = 0; i < order.length; i++) {
      const position = order[i]!;
      if (position % 17 === 0) {
        nacked.add(position + 1);
        expect(deliveries[position]!.nack(false)).toBe(true);
      } else {
        expect(deliveries[position]!.ack()).toBe(true);
      }
      if (i % 23 !== 0) continue;
      await nextTurn();
      // A multi-ack that covered a delivery still pending (or nacked) would show it acked here.
      const ackedSoFar = new Set(order.slice(0, i + 1).map((p) => p + 1).filter((tag) => !nacked.has(tag)));
      expect(channel.acks.filter((message) => !ackedSoFar.has(message.fields.deliveryTag))).toEqual([]);
    }
    await nextTurn();
    expect(channel.unsettledTags).toEqual([]);
    expect(channel.acks).toHaveLength(count - nacked.size);
    expect(new Set(channel.nacks.map(({ message }) => message.fields.deliveryTag))).toEqual(nacked);
    expect(channel.ackFrames.length).toBeLessThan(count - nacked.size);
    expect(broker.protocolViolations).toEqual([]);
  });
});
