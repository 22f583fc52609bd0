import { describe, expect, it } from '@jest/globals';
import { TopologyError } from '../../../lib/errors/index.js';
import type { TopologyDefinition } from '../../../lib/topology/index.js';
import { MemoryTransport } from '../../../lib/transports/memory/index.js';
import { collect, message, rejectionOf, routedBy, startTransport } from './memory.helpers.js';

const base: TopologyDefinition = {
  exchanges: [{ name: 'orders', type: 'topic' }],
  queues: [{ name: 'billing', messageTtl: 60_000, deadLetterExchange: 'orders' }],
  bindings: [{ exchange: 'orders', queue: 'billing', routingKey: 'orders.#' }],
};

describe('MemoryTransport topology', () => {
  it('declares idempotently: the same topology again changes nothing and keeps messages', async () => {
    const t = await startTransport(base);
    await t.publish(message('orders', 'orders.created'));
    await t.start(base);
    await t.start({ ...base, bindings: [...(base.bindings ?? []), ...(base.bindings ?? [])] });
    expect(t.queueDepth('billing').ready).toBe(1);
    expect(await routedBy(t, message('orders', 'orders.paid'))).toEqual(['billing']);
    expect(t.queueDepth('billing').ready).toBe(2);
  });

  it.each<[string, TopologyDefinition, RegExp]>([
    ['exchange type', { exchanges: [{ name: 'orders', type: 'direct' }] }, /exchange "orders" exists with different properties: type is "topic", redeclared as "direct"/],
    ['exchange durability', { exchanges: [{ name: 'orders', type: 'topic', durable: false }] }, /durable is true, redeclared as false/],
    ['exchange internal flag', { exchanges: [{ name: 'orders', type: 'topic', internal: true }] }, /internal/],
    ['alternate exchange', { exchanges: [{ name: 'orders', type: 'topic', alternateExchange: 'amq.fanout' }] }, /alternateExchange/],
    ['queue TTL', { queues: [{ name: 'billing', messageTtl: 1000, deadLetterExchange: 'orders' }] }, /queue "billing" exists with different properties: x-message-ttl is 60000, redeclared as 1000/],
    ['queue type', { queues: [{ name: 'billing', type: 'quorum', messageTtl: 60_000, deadLetterExchange: 'orders' }] }, /x-queue-type is "classic", redeclared as "quorum"/],
    ['missing dead-letter exchange', { queues: [{ name: 'billing', messageTtl: 60_000 }] }, /x-dead-letter-exchange is "orders", redeclared as undefined/],
    ['queue exclusivity', { queues: [{ name: 'billing', exclusive: true, messageTtl: 60_000, deadLetterExchange: 'orders' }] }, /exclusive is false, redeclared as true/],
  ])('rejects a redeclaration with a different %s (PRECONDITION_FAILED)', async (_what, changed, expected) => {
    const t = await startTransport(base);
    const redeclare = t.start(changed);
    await expect(redeclare).rejects.toBeInstanceOf(TopologyError);
    await expect(t.start(changed)).rejects.toThrow(/PRECONDITION_FAILED/);
    await expect(t.start(changed)).rejects.toThrow(expected);
  });

  it('treats typed fields and the matching x- arguments as the same declaration', async () => {
    const t = await startTransport({
      exchanges: [{ name: 'x', type: 'fanout', alternateExchange: 'amq.fanout' }],
      queues: [{ name: 'q', messageTtl: 100, maxLength: 5, overflow: 'reject-publish' }],
    });
    await expect(
      t.start({
        exchanges: [{ name: 'x', type: 'fanout', arguments: { 'alternate-exchange': 'amq.fanout' } }],
        queues: [{ name: 'q', arguments: { 'x-message-ttl': 100, 'x-max-length': 5, 'x-overflow': 'reject-publish' } }],
      }),
    ).resolves.toBeUndefined();
  });

  it('treats an explicit classic type as the default, and ignores arguments RabbitMQ does not compare', async () => {
    const t = await startTransport({ queues: [{ name: 'q', arguments: { 'x-custom': 'a' } }] });
    await expect(t.start({ queues: [{ name: 'q', type: 'classic', arguments: { 'x-custom': 'b' } }] })).resolves.toBeUndefined();
  });

  it('honours queue settings given only as x- arguments', async () => {
    const t = await startTransport({ queues: [{ name: 'q', arguments: { 'x-max-length': 1 } }] });
    await t.publish(message('', 'q', { n: 1 }));
    await t.publish(message('', 'q', { n: 2 }));
    expect(t.messages('q').map((m) => m.payload)).toEqual([{ n: 2 }]);
  });

  it('rejects conflicting declarations within one topology', async () => {
    const t = new MemoryTransport();
    await expect(
      t.start({ exchanges: [{ name: 'a', type: 'direct' }, { name: 'a', type: 'fanout' }] }),
    ).rejects.toThrow(/PRECONDITION_FAILED: exchange "a"/);
    await t.close();
  });

  it('is all-or-nothing: a refused topology declares nothing and reports every problem', async () => {
    const t = await startTransport(base);
    const attempt = t.start({
      exchanges: [{ name: 'fresh', type: 'direct' }, { name: 'orders', type: 'fanout' }],
      queues: [{ name: 'fresh.q' }],
      bindings: [
        { exchange: 'fresh', queue: 'nowhere' },
        { exchange: 'ghost', queue: 'fresh.q' },
        { exchange: 'fresh', toExchange: 'ghost' },
      ],
    });
    await expect(attempt).rejects.toThrow(TopologyError);
    const error = await rejectionOf(attempt);
    expect(error.message).toMatch(/PRECONDITION_FAILED: exchange "orders"/);
    expect(error.message).toMatch(/NOT_FOUND: binding "fresh" -> "nowhere": no queue "nowhere"/);
    expect(error.message).toMatch(/NOT_FOUND: binding "ghost" -> "fresh.q": no exchange "ghost"/);
    expect(error.message).toMatch(/NOT_FOUND: binding "fresh" -> "ghost": no exchange "ghost"/);
    expect(t.hasExchange('fresh')).toBe(false);
    expect(t.hasQueue('fresh.q')).toBe(false);
  });

  it.each<[string, TopologyDefinition, RegExp]>([
    ['declaring a built-in exchange', { exchanges: [{ name: 'amq.topic', type: 'topic' }] }, /ACCESS_REFUSED: exchange name "amq.topic" is reserved/],
    ['declaring an amq. exchange', { exchanges: [{ name: 'amq.mine', type: 'topic' }] }, /ACCESS_REFUSED/],
    ['declaring an amq. queue', { queues: [{ name: 'amq.gen-1' }] }, /reserved prefix/],
    ['a server-named queue', { queues: [{ name: '' }] }, /server-named/],
    ['binding the default exchange', { queues: [{ name: 'q' }], bindings: [{ exchange: '', queue: 'q' }] }, /default exchange cannot be bound/],
    ['a binding with two destinations', { queues: [{ name: 'q' }], bindings: [{ exchange: 'amq.direct', queue: 'q', toExchange: 'amq.topic' }] }, /exactly one/],
    ['an invalid x-match', { queues: [{ name: 'q' }], bindings: [{ exchange: 'amq.headers', queue: 'q', arguments: { 'x-match': 'most' } }] }, /invalid x-match "most"/],
    ['an unknown overflow', { queues: [{ name: 'q', arguments: { 'x-overflow': 'explode' } }] }, /unknown x-overflow "explode"/],
    ['a negative TTL', { queues: [{ name: 'q', messageTtl: -1 }] }, /x-message-ttl must be a non-negative integer/],
  ])('refuses %s', async (_what, topology, expected) => {
    const t = new MemoryTransport();
    await expect(t.start(topology)).rejects.toThrow(expected);
    await t.close();
  });

  it('keeps messages across close() and start(), like a durable broker', async () => {
    const t = await startTransport(base);
    await t.publish(message('orders', 'orders.created', { n: 1 }));
    await t.close();
    expect(t.queueDepth('billing').ready).toBe(1);
    await t.start(base);
    const c = await collect(t, 'billing', { settle: (d) => d.ack() });
    await t.waitForIdle();
    expect(c.payloads()).toEqual([{ n: 1 }]);
  });

  it('deletes an auto-delete queue when its last consumer cancels, and its auto-delete exchange with it', async () => {
    const topology: TopologyDefinition = {
      exchanges: [
        { name: 'edge', type: 'fanout', autoDelete: true },
        { name: 'events', type: 'fanout', autoDelete: true },
      ],
      queues: [{ name: 'replies', autoDelete: true }, { name: 'idle', autoDelete: true }],
      bindings: [
        { exchange: 'edge', toExchange: 'events' },
        { exchange: 'events', queue: 'replies' },
      ],
    };
    const t = await startTransport(topology);
    const first = await collect(t, 'replies');
    const second = await collect(t, 'replies');
    await first.subscription.cancel();
    expect(t.hasQueue('replies')).toBe(true);
    await second.subscription.cancel();
    expect(t.hasQueue('replies')).toBe(false);
    expect(t.hasExchange('events')).toBe(false);
    expect(t.hasExchange('edge')).toBe(false);
    // A queue that never had a consumer is not auto-deleted.
    expect(t.hasQueue('idle')).toBe(true);
    await expect(t.consume({ queue: 'replies', prefetch: 1, consumerName: 'late' }, () => undefined)).rejects.toThrow(TopologyError);
    await t.start(topology);
    expect(t.hasQueue('replies')).toBe(true);
  });

  it('deletes exclusive queues on close; start() declares them afresh, empty', async () => {
    const topology: TopologyDefinition = { queues: [{ name: 'mine', exclusive: true }, { name: 'shared' }] };
    const t = await startTransport(topology);
    await t.publish(message('', 'mine'));
    await t.publish(message('', 'shared'));
    await t.close();
    expect(t.hasQueue('mine')).toBe(false);
    expect(t.hasQueue('shared')).toBe(true);
    await t.start(topology);
    expect(t.queueDepth('mine').ready).toBe(0);
    expect(t.queueDepth('shared').ready).toBe(1);
  });
});
