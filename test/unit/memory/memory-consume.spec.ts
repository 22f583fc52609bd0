import { describe, expect, it } from '@jest/globals';
import { ConsumerDefinitionError, TopologyError } from '../../../lib/errors/index.js';
import type { MemoryStoredMessage } from '../../../lib/transports/memory/index.js';
import type { TransportDelivery } from '../../../lib/transports/transport.interface.js';
import { collect, message, nextMacrotask, startTransport } from './memory.helpers.js';

const publishMany = async (t: Awaited<ReturnType<typeof startTransport>>, queue: string, count: number): Promise<void> => {
  for (let n = 1; n <= count; n++) await t.publish(message('', queue, { n }));
};

describe('MemoryTransport consuming', () => {
  it('delivers asynchronously with the message fields, never from inside publish', async () => {
    const t = await startTransport({ exchanges: [{ name: 'x', type: 'topic' }], queues: [{ name: 'q' }], bindings: [{ exchange: 'x', queue: 'q', routingKey: '#' }] });
    const c = await collect(t, 'q');
    const publishing = t.publish(message('x', 'a.b', { n: 1 }, { messageId: 'm-1', headers: { h: 1 } }));
    expect(c.deliveries).toHaveLength(0);
    await publishing;
    await t.waitFor((r) => r.delivered.length === 1);
    const { message: inbound } = c.deliveries[0];
    expect(inbound).toMatchObject({ exchange: 'x', routingKey: 'a.b', queue: 'q', redelivered: false });
    expect(inbound.properties).toMatchObject({ messageId: 'm-1', contentType: 'application/json', headers: { h: 1 } });
    expect(JSON.parse(inbound.body.toString())).toEqual({ n: 1 });
    const raw = inbound.raw as MemoryStoredMessage;
    expect(raw).toMatchObject({ queue: 'q', exchange: 'x', routingKey: 'a.b', redelivered: false });
    expect(Object.isFrozen(raw)).toBe(true);
  });

  it('rejects consuming from a missing queue, and an invalid prefetch', async () => {
    const t = await startTransport({ queues: [{ name: 'q' }] });
    await expect(t.consume({ queue: 'nope', prefetch: 1, consumerName: 'c' }, () => undefined)).rejects.toThrow(TopologyError);
    await expect(t.consume({ queue: 'q', prefetch: -1, consumerName: 'c' }, () => undefined)).rejects.toThrow(ConsumerDefinitionError);
    await expect(t.consume({ queue: 'q', prefetch: 1.5, consumerName: 'c' }, () => undefined)).rejects.toThrow(ConsumerDefinitionError);
  });

  it('keeps at most prefetch deliveries unacked and sends the next one when one is settled', async () => {
    const t = await startTransport({ queues: [{ name: 'q' }] });
    await publishMany(t, 'q', 5);
    const c = await collect(t, 'q', { prefetch: 2 });
    await nextMacrotask();
    await nextMacrotask();
    expect(c.payloads()).toEqual([{ n: 1 }, { n: 2 }]);
    expect(t.queueDepth('q')).toEqual({ ready: 3, unacked: 2 });
    expect(c.deliveries[0].ack()).toBe(true);
    expect(t.queueDepth('q')).toEqual({ ready: 2, unacked: 2 });
    await t.waitFor((r) => r.delivered.length === 3);
    expect(c.payloads()).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
  });

  it('refuses prefetch 0 like every transport: there is no unlimited prefetch', async () => {
    const t = await startTransport({ queues: [{ name: 'q' }] });
    await expect(collect(t, 'q', { prefetch: 0 })).rejects.toThrow(/prefetch must be a positive integer, got 0/);
  });

  it('never calls the handler synchronously from ack', async () => {
    const t = await startTransport({ queues: [{ name: 'q' }] });
    await publishMany(t, 'q', 3);
    let inHandler = false;
    let reentered = false;
    await t.consume({ queue: 'q', prefetch: 1, consumerName: 'c' }, (delivery) => {
      reentered ||= inHandler;
      inHandler = true;
      delivery.ack();
      inHandler = false;
    });
    await t.waitForIdle();
    expect(t.records.acked).toHaveLength(3);
    expect(reentered).toBe(false);
  });

  it('shares a queue round-robin between subscriptions', async () => {
    const t = await startTransport({ queues: [{ name: 'q' }] });
    const a = await collect(t, 'q', { name: 'a', prefetch: 10, settle: (d) => d.ack() });
    const b = await collect(t, 'q', { name: 'b', prefetch: 10, settle: (d) => d.ack() });
    const c = await collect(t, 'q', { name: 'c', prefetch: 10, settle: (d) => d.ack() });
    await publishMany(t, 'q', 6);
    await t.waitForIdle();
    expect(a.payloads()).toEqual([{ n: 1 }, { n: 4 }]);
    expect(b.payloads()).toEqual([{ n: 2 }, { n: 5 }]);
    expect(c.payloads()).toEqual([{ n: 3 }, { n: 6 }]);
  });

  it('skips a subscription whose prefetch window is full', async () => {
    const t = await startTransport({ queues: [{ name: 'q' }] });
    const busy = await collect(t, 'q', { name: 'busy', prefetch: 1 });
    const free = await collect(t, 'q', { name: 'free', prefetch: 10, settle: (d) => d.ack() });
    await publishMany(t, 'q', 4);
    await t.waitFor((r) => r.acked.length === 3);
    expect(busy.payloads()).toEqual([{ n: 1 }]);
    expect(free.payloads()).toEqual([{ n: 2 }, { n: 3 }, { n: 4 }]);
  });

  it('nack(requeue) puts the message back at the head with redelivered set', async () => {
    const t = await startTransport({ queues: [{ name: 'q' }] });
    await publishMany(t, 'q', 3);
    const c = await collect(t, 'q', { prefetch: 1 });
    await t.waitFor((r) => r.delivered.length === 1);
    await c.subscription.cancel();
    expect(c.deliveries[0].nack(true)).toBe(true);
    expect(t.messages('q').map((m) => [m.payload, m.redelivered])).toEqual([
      [{ n: 1 }, true],
      [{ n: 2 }, false],
      [{ n: 3 }, false],
    ]);
    expect(t.records.nacked).toMatchObject([{ queue: 'q', requeue: true, payload: { n: 1 } }]);
  });

  it('redelivers a requeued message before the rest of the queue', async () => {
    const t = await startTransport({ queues: [{ name: 'q' }] });
    await publishMany(t, 'q', 3);
    let nacked = false;
    const c = await collect(t, 'q', {
      prefetch: 1,
      settle: (d) => {
        if (nacked) d.ack();
        else d.nack((nacked = true));
      },
    });
    await t.waitForIdle();
    expect(c.payloads()).toEqual([{ n: 1 }, { n: 1 }, { n: 2 }, { n: 3 }]);
    expect(c.deliveries.map((d) => d.message.redelivered)).toEqual([false, true, false, false]);
  });

  it('requeues several deliveries back into their original order', async () => {
    const t = await startTransport({ queues: [{ name: 'q' }] });
    await publishMany(t, 'q', 4);
    const c = await collect(t, 'q', { prefetch: 3 });
    await t.waitFor((r) => r.delivered.length === 3);
    await c.subscription.cancel();
    c.deliveries[1].nack(true);
    c.deliveries[0].nack(true);
    c.deliveries[2].nack(true);
    expect(t.messages('q').map((m) => m.payload)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }]);
  });

  it('settles once: a second ack or nack returns false and changes nothing', async () => {
    const t = await startTransport({ queues: [{ name: 'q' }] });
    await publishMany(t, 'q', 2);
    const c = await collect(t, 'q', { prefetch: 1 });
    await t.waitFor((r) => r.delivered.length === 1);
    const [first] = c.deliveries;
    expect(first.ack()).toBe(true);
    expect(first.ack()).toBe(false);
    expect(first.nack(true)).toBe(false);
    expect(first.nack(false)).toBe(false);
    await t.waitFor((r) => r.delivered.length === 2);
    expect(t.queueDepth('q')).toEqual({ ready: 0, unacked: 1 });
    expect(t.records.acked).toHaveLength(1);
    expect(t.records.nacked).toHaveLength(0);
    expect(c.deliveries[1].ack()).toBe(true);
  });

  it('gives each delivery its own copy of the body, so handler mutations do not reach a redelivery', async () => {
    const t = await startTransport({ queues: [{ name: 'q' }] });
    await t.publish(message('', 'q', { n: 1 }));
    const c = await collect(t, 'q', { prefetch: 1 });
    await t.waitFor((r) => r.delivered.length === 1);
    c.deliveries[0].message.body.fill(0x20);
    c.deliveries[0].nack(true);
    await t.waitFor((r) => r.delivered.length === 2);
    expect(JSON.parse(c.deliveries[1].message.body.toString())).toEqual({ n: 1 });
  });

  it('cancel stops new deliveries, keeps delivered ones settleable, and returns unseen ones', async () => {
    const t = await startTransport({ queues: [{ name: 'q' }] });
    await publishMany(t, 'q', 3);
    const c = await collect(t, 'q', { prefetch: 2 });
    await t.waitFor((r) => r.delivered.length === 2);
    await c.subscription.cancel();
    await c.subscription.cancel();
    expect(c.deliveries[0].ack()).toBe(true);
    expect(c.deliveries[1].nack(true)).toBe(true);
    await nextMacrotask();
    expect(c.deliveries).toHaveLength(2);
    expect(t.queueDepth('q')).toEqual({ ready: 2, unacked: 0 });
  });

  it('cancel before the handler ran returns those messages unflagged and never calls the handler', async () => {
    const t = await startTransport({ queues: [{ name: 'q' }] });
    await publishMany(t, 'q', 2);
    const seen: TransportDelivery[] = [];
    const subscription = await t.consume({ queue: 'q', prefetch: 5, consumerName: 'c' }, (d) => seen.push(d));
    expect(t.queueDepth('q')).toEqual({ ready: 0, unacked: 2 });
    await subscription.cancel();
    await nextMacrotask();
    expect(seen).toHaveLength(0);
    expect(t.messages('q').map((m) => [m.payload, m.redelivered])).toEqual([
      [{ n: 1 }, false],
      [{ n: 2 }, false],
    ]);
    const other = await collect(t, 'q', { settle: (d) => d.ack() });
    await t.waitForIdle();
    expect(other.payloads()).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it('hands messages from a cancelled subscription to the remaining ones', async () => {
    const t = await startTransport({ queues: [{ name: 'q' }] });
    const leaving = await collect(t, 'q', { name: 'leaving', prefetch: 1 });
    const staying = await collect(t, 'q', { name: 'staying', prefetch: 1, settle: (d) => d.ack() });
    await publishMany(t, 'q', 4);
    await t.waitFor((r) => r.delivered.some((d) => d.consumerName === 'leaving'));
    await leaving.subscription.cancel();
    leaving.deliveries[0].nack(true);
    await t.waitForIdle();
    expect(staying.payloads()).toHaveLength(4);
    expect(t.records.acked.map((a) => a.consumerName)).toEqual(['staying', 'staying', 'staying', 'staying']);
  });

  it('queueStatus counts what entered the queue and what consumers settled for good (requeues count neither)', async () => {
    const t = await startTransport({ queues: [{ name: 'q' }] });
    await publishMany(t, 'q', 4);
    expect(await t.queueStatus('q')).toEqual({ messages: 4, consumers: 0, enqueued: 4, acknowledged: 0 });
    const c = await collect(t, 'q', { prefetch: 4 });
    await t.waitFor((r) => r.delivered.length === 4);
    expect(c.deliveries[0].ack()).toBe(true);
    expect(c.deliveries[1].nack(false)).toBe(true);
    expect(c.deliveries[2].nack(true)).toBe(true);
    expect(await t.queueStatus('q')).toEqual({ messages: 0, consumers: 1, enqueued: 4, acknowledged: 2 });
  });
});
