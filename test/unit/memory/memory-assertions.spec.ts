import { describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { TopologyError } from '../../../lib/errors/index.js';
import type { TopologyDefinition } from '../../../lib/topology/index.js';
import { collect, message, rejectionOf, startTransport } from './memory.helpers.js';

const topology: TopologyDefinition = {
  exchanges: [{ name: 'app', type: 'topic' }],
  queues: [{ name: 'orders' }, { name: 'emails' }, { name: 'audit' }],
  bindings: [
    { exchange: 'app', queue: 'orders', routingKey: 'order.*' },
    { exchange: 'app', queue: 'audit', routingKey: '#' },
    { exchange: 'app', queue: 'emails', routingKey: 'email.*' },
  ],
};

describe('MemoryTransport assertion API', () => {
  it('records publishes with parsed payload, routed queues, outcome and time', async () => {
    const t = await startTransport(topology);
    const before = Date.now();
    await t.publish(message('app', 'order.created', { id: 7 }, { messageId: 'm1' }));
    await t.publish({ exchange: 'app', routingKey: 'order.note', body: Buffer.from('not json'), properties: { contentType: 'text/plain' }, mandatory: false });
    await t.publish({ exchange: 'app', routingKey: 'order.raw', body: Buffer.from('[1,2]'), properties: {}, mandatory: false });
    const [json, text, untyped] = t.records.published;
    expect(json).toMatchObject({
      exchange: 'app',
      routingKey: 'order.created',
      properties: { messageId: 'm1', contentType: 'application/json' },
      payload: { id: 7 },
      mandatory: false,
      routedQueues: ['orders', 'audit'],
      outcome: 'routed',
    });
    expect(json.body.toString()).toBe('{"id":7}');
    expect(json.time.getTime()).toBeGreaterThanOrEqual(before);
    expect(json.error).toBeUndefined();
    expect(text.payload).toBeUndefined();
    expect(untyped.payload).toEqual([1, 2]);
  });

  it('records the error a rejected publish saw', async () => {
    const t = await startTransport(topology);
    await t.publish(message('', 'no-such-queue', {}, {}, true)).catch(() => undefined);
    await t.publish(message('missing', 'k')).catch(() => undefined);
    expect(t.records.published.map((p) => [p.outcome, p.error?.name])).toEqual([
      ['returned', 'UnroutableMessageError'],
      ['failed', 'TopologyError'],
    ]);
  });

  it('records deliveries, acks and nacks with queue, consumer and delivery tag', async () => {
    const t = await startTransport(topology);
    let first = true;
    await collect(t, 'orders', {
      name: 'billing',
      settle: (d) => {
        if (first) d.nack((first = false) || true);
        else d.ack();
      },
    });
    await t.publish(message('app', 'order.created', { id: 1 }));
    await t.waitForIdle();
    const { delivered, acked, nacked } = t.records;
    expect(delivered).toMatchObject([
      { queue: 'orders', consumerName: 'billing', consumerTag: 'billing#1', deliveryTag: 1, redelivered: false, payload: { id: 1 } },
      { queue: 'orders', consumerName: 'billing', deliveryTag: 2, redelivered: true, payload: { id: 1 } },
    ]);
    expect(nacked).toMatchObject([{ queue: 'orders', consumerName: 'billing', deliveryTag: 1, requeue: true, payload: { id: 1 } }]);
    expect(acked).toMatchObject([{ queue: 'orders', consumerName: 'billing', deliveryTag: 2, exchange: 'app', routingKey: 'order.created' }]);
  });

  it('returns records as snapshots that later activity does not change', async () => {
    const t = await startTransport(topology);
    const before = t.records;
    await t.publish(message('app', 'order.created'));
    expect(before.published).toHaveLength(0);
    expect(t.records.published).toHaveLength(1);
  });

  it('messages() lists ready messages with payload; queueDepth() counts ready and unacked', async () => {
    const t = await startTransport(topology);
    await t.publish(message('app', 'email.welcome', { to: 'a' }));
    await t.publish(message('app', 'email.welcome', { to: 'b' }, { expiration: 60_000 }));
    const [a, b] = t.messages('emails');
    expect(a).toMatchObject({ exchange: 'app', routingKey: 'email.welcome', payload: { to: 'a' }, redelivered: false, expiresAt: undefined });
    expect(a.enqueuedAt).toBeInstanceOf(Date);
    expect(b.expiresAt?.getTime()).toBe(b.enqueuedAt.getTime() + 60_000);
    await collect(t, 'emails', { prefetch: 1 });
    expect(t.queueDepth('emails')).toEqual({ ready: 1, unacked: 1 });
    expect(t.messages('emails').map((m) => m.payload)).toEqual([{ to: 'b' }]);
  });

  it('throws TopologyError for an unknown queue', async () => {
    const t = await startTransport(topology);
    expect(() => t.messages('nope')).toThrow(TopologyError);
    expect(() => t.queueDepth('nope')).toThrow(/no queue "nope"/);
    expect(() => t.purge('nope')).toThrow(TopologyError);
    expect(t.hasQueue('orders')).toBe(true);
    expect(t.hasQueue('nope')).toBe(false);
  });

  it('waitForIdle() waits for follow-up publishes made a tick after a handler settles', async () => {
    const t = await startTransport(topology);
    await collect(t, 'orders', {
      settle: (d) => {
        d.ack();
        setTimeout(() => void t.publish(message('app', 'email.confirmation', { from: 'orders' })), 0);
      },
    });
    await collect(t, 'emails', { settle: (d) => setImmediate(() => d.ack()) });
    await t.publish(message('app', 'order.created', { id: 1 }));
    await t.waitForIdle();
    expect(t.records.acked.map((a) => a.queue)).toEqual(['orders', 'emails']);
  });

  it('waitForIdle() ignores ready messages in queues nobody consumes', async () => {
    const t = await startTransport(topology);
    await t.publish(message('app', 'order.created'));
    await expect(t.waitForIdle({ timeoutMs: 200 })).resolves.toBeUndefined();
    expect(t.queueDepth('audit').ready).toBe(1);
  });

  it('waitForIdle() times out naming the busy queues and why', async () => {
    const t = await startTransport(topology);
    await collect(t, 'orders', { prefetch: 1 }); // never settles
    await t.publish(message('app', 'order.a'));
    await t.publish(message('app', 'order.b'));
    await t.publish(message('app', 'order.c'));
    const error = await rejectionOf(t.waitForIdle({ timeoutMs: 50 }));
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toMatch(/^MemoryTransport was not idle after 50 ms: /);
    expect(error.message).toContain('queue "orders": 2 ready with 1 active consumer(s), 1 delivered but not settled (unacked)');
    expect(error.message).not.toContain('audit');
  });

  it('waitForIdle() times out rather than hang when a handler requeues forever', async () => {
    const t = await startTransport(topology);
    await collect(t, 'orders', { prefetch: 1, settle: (d) => d.nack(true) });
    await t.publish(message('app', 'order.poison'));
    await expect(t.waitForIdle({ timeoutMs: 100 })).rejects.toThrow(/queue "orders"/);
    expect(t.records.delivered.length).toBeGreaterThan(5);
  });

  it('waitFor() resolves with the records once the predicate holds', async () => {
    const t = await startTransport(topology);
    await collect(t, 'orders', { settle: (d) => setTimeout(() => d.ack(), 5) });
    for (let id = 1; id <= 3; id++) await t.publish(message('app', 'order.created', { id }));
    const records = await t.waitFor((r) => r.acked.filter((a) => a.queue === 'orders').length === 3);
    expect(records.acked.map((a) => a.payload)).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }]);
  });

  it('waitFor() times out with the description and what was recorded', async () => {
    const t = await startTransport(topology);
    await t.publish(message('app', 'order.created'));
    const error = await rejectionOf(t.waitFor((r) => r.acked.length > 0, { timeoutMs: 30, description: 'an ack on orders' }));
    expect(error.message).toBe(
      'MemoryTransport.waitFor timed out after 30 ms for an ack on orders; recorded: published 1, delivered 0, acked 0, nacked 0, dead-lettered 0; broker idle',
    );
  });

  it('waitFor() rejects with the error a predicate throws', async () => {
    const t = await startTransport(topology);
    await expect(
      t.waitFor(() => {
        throw new Error('bad predicate');
      }),
    ).rejects.toThrow('bad predicate');
  });

  it('purge() removes ready messages only and reports how many', async () => {
    const t = await startTransport(topology);
    for (let i = 0; i < 3; i++) await t.publish(message('app', 'order.created', { i }));
    const c = await collect(t, 'orders', { prefetch: 1 });
    expect(t.purge('orders')).toBe(2);
    expect(t.queueDepth('orders')).toEqual({ ready: 0, unacked: 1 });
    expect(t.records.deadLettered).toHaveLength(0);
    await t.waitFor((r) => r.delivered.length === 1);
    expect(c.deliveries[0].ack()).toBe(true);
  });

  it('reset() clears records and every queue but keeps topology and subscriptions', async () => {
    const t = await startTransport(topology);
    await t.publish(message('app', 'order.created'));
    t.reset();
    expect(t.records).toEqual({ published: [], delivered: [], acked: [], nacked: [], deadLettered: [] });
    expect(t.queueDepth('orders').ready).toBe(0);
    expect(t.queueDepth('audit').ready).toBe(0);
    const c = await collect(t, 'orders', { settle: (d) => d.ack() });
    t.reset();
    await t.publish(message('app', 'order.created', { after: 'reset' }));
    await t.waitForIdle();
    expect(c.payloads()).toEqual([{ after: 'reset' }]);
  });

  it('keeps at most maxRecords per kind, dropping the oldest, and none with 0', async () => {
    const capped = await startTransport(topology, { maxRecords: 2 });
    for (let i = 1; i <= 3; i++) await capped.publish(message('app', 'order.created', { i }));
    expect(capped.records.published.map((p) => p.payload)).toEqual([{ i: 2 }, { i: 3 }]);
    const off = await startTransport(topology, { maxRecords: 0 });
    await collect(off, 'orders', { settle: (d) => d.ack() });
    await off.publish(message('app', 'order.created'));
    await off.waitForIdle();
    expect(off.records).toEqual({ published: [], delivered: [], acked: [], nacked: [], deadLettered: [] });
  });

  it('keeps the newest records across reads as the cap wraps around, the same objects on each read', async () => {
    const t = await startTransport(topology, { maxRecords: 3 });
    for (let i = 1; i <= 5; i++) await t.publish(message('app', 'order.created', { i }));
    const first = t.records.published;
    expect(first.map((p) => p.payload)).toEqual([{ i: 3 }, { i: 4 }, { i: 5 }]);
    await t.publish(message('app', 'order.created', { i: 6 }));
    const second = t.records.published;
    expect(second.map((p) => p.payload)).toEqual([{ i: 4 }, { i: 5 }, { i: 6 }]);
    expect(second[0]).toBe(first[1]);
    expect(second[2]).toMatchObject({ exchange: 'app', routingKey: 'order.created', outcome: 'routed', routedQueues: ['orders', 'audit'] });
  });

  it('logs, and survives, a handler that throws', async () => {
    const error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    try {
      const t = await startTransport(topology);
      await t.consume({ queue: 'orders', prefetch: 1, consumerName: 'bad' }, () => {
        throw new Error('boom');
      });
      await t.publish(message('app', 'order.created'));
      await t.waitFor((r) => r.delivered.length === 1);
      await expect(t.waitForIdle({ timeoutMs: 30 })).rejects.toThrow(/1 delivered but not settled/);
      expect(error).toHaveBeenCalledWith(expect.stringContaining('Consumer bad: delivery handler threw: boom'));
    } finally {
      error.mockRestore();
    }
  });
});
