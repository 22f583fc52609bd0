import { afterEach, describe, expect, it, jest } from '@jest/globals';
import type { TopologyDefinition } from '../../../lib/topology/index.js';
import { collect, message, startTransport } from './memory.helpers.js';

const topology: TopologyDefinition = {
  exchanges: [{ name: 'dlx', type: 'fanout' }],
  queues: [
    { name: 'short', messageTtl: 1000, deadLetterExchange: 'dlx' },
    { name: 'plain', deadLetterExchange: 'dlx' },
    { name: 'dlq' },
  ],
  bindings: [{ exchange: 'dlx', queue: 'dlq' }],
};

describe('MemoryTransport message TTL (fake timers)', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('dead-letters a message when the queue TTL passes, with nobody consuming', async () => {
    jest.useFakeTimers();
    const t = await startTransport(topology);
    await t.publish(message('', 'short', { n: 1 }));
    expect(t.messages('short')[0].expiresAt).toEqual(new Date(Date.now() + 1000));
    await jest.advanceTimersByTimeAsync(999);
    expect(t.queueDepth('short').ready).toBe(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(t.queueDepth('short').ready).toBe(0);
    const [dead] = t.messages('dlq');
    expect(dead.payload).toEqual({ n: 1 });
    expect((dead.properties.headers?.['x-death'] as { reason: string }[])[0].reason).toBe('expired');
    expect(t.records.deadLettered).toMatchObject([{ sourceQueue: 'short', reason: 'expired', targetExchange: 'dlx' }]);
  });

  it('expires by per-message expiration, and by the sooner of queue TTL and expiration', async () => {
    jest.useFakeTimers();
    const t = await startTransport(topology);
    await t.publish(message('', 'plain', { n: 1 }, { expiration: 300 }));
    await t.publish(message('', 'short', { n: 2 }, { expiration: 200 }));
    await t.publish(message('', 'short', { n: 3 }, { expiration: 5000 }));
    await jest.advanceTimersByTimeAsync(200);
    expect(t.messages('dlq').map((m) => m.payload)).toEqual([{ n: 2 }]);
    await jest.advanceTimersByTimeAsync(100);
    expect(t.messages('dlq').map((m) => m.payload)).toEqual([{ n: 2 }, { n: 1 }]);
    await jest.advanceTimersByTimeAsync(700);
    expect(t.messages('dlq').map((m) => m.payload)).toEqual([{ n: 2 }, { n: 1 }, { n: 3 }]);
  });

  it('only expires from the head, as RabbitMQ does: a short expiration waits behind a long-lived message', async () => {
    jest.useFakeTimers();
    const t = await startTransport(topology);
    await t.publish(message('', 'plain', { n: 1 }, { expiration: 10_000 }));
    await t.publish(message('', 'plain', { n: 2 }, { expiration: 100 }));
    await jest.advanceTimersByTimeAsync(5000);
    expect(t.messages('plain').map((m) => m.payload)).toEqual([{ n: 1 }, { n: 2 }]);
    await jest.advanceTimersByTimeAsync(5000);
    expect(t.messages('dlq').map((m) => m.payload)).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it('never delivers an expired message to a consumer that subscribes later', async () => {
    jest.useFakeTimers(); // deliveries and waitForIdle use real timers, so they still run
    const t = await startTransport(topology);
    await t.publish(message('', 'plain', { n: 1 }, { expiration: 50 }));
    await t.publish(message('', 'plain', { n: 2 }));
    jest.setSystemTime(Date.now() + 100);
    const c = await collect(t, 'plain', { settle: (d) => d.ack() });
    await t.waitForIdle();
    expect(c.payloads()).toEqual([{ n: 2 }]);
    expect(t.messages('dlq').map((m) => m.payload)).toEqual([{ n: 1 }]);
  });

  it('keeps the original expiry for a requeued message', async () => {
    jest.useFakeTimers();
    const t = await startTransport(topology);
    const c = await collect(t, 'short', { prefetch: 1 });
    await t.publish(message('', 'short', { n: 1 }));
    await t.waitFor((r) => r.delivered.length === 1);
    await c.subscription.cancel();
    await jest.advanceTimersByTimeAsync(1500);
    expect(t.queueDepth('short')).toEqual({ ready: 0, unacked: 1 });
    c.deliveries[0].nack(true);
    expect(t.queueDepth('short')).toEqual({ ready: 0, unacked: 0 });
    expect(t.messages('dlq').map((m) => m.payload)).toEqual([{ n: 1 }]);
  });

  it('pauses expiry while closed and catches up on start', async () => {
    jest.useFakeTimers();
    const t = await startTransport(topology);
    await t.publish(message('', 'short', { n: 1 }));
    await t.close();
    await jest.advanceTimersByTimeAsync(5000);
    expect(t.queueDepth('short').ready).toBe(1);
    expect(jest.getTimerCount()).toBe(0);
    await t.start(topology);
    expect(t.queueDepth('short').ready).toBe(0);
    expect(t.queueDepth('dlq').ready).toBe(1);
  });
});

describe('MemoryTransport message TTL (real timers)', () => {
  it('dead-letters on time with a short real TTL', async () => {
    const t = await startTransport({ ...topology, queues: [{ name: 'fast', messageTtl: 20, deadLetterExchange: 'dlx' }, { name: 'dlq' }] });
    await t.publish(message('', 'fast', { n: 1 }));
    expect(t.queueDepth('fast').ready).toBe(1);
    const records = await t.waitFor((r) => r.deadLettered.length === 1, { timeoutMs: 1000 });
    expect(records.deadLettered[0]).toMatchObject({ sourceQueue: 'fast', reason: 'expired', routedQueues: ['dlq'] });
    expect(records.deadLettered[0].time.getTime() - records.published[0].time.getTime()).toBeGreaterThanOrEqual(19);
  });

  it('still delivers a TTL 0 message to a waiting consumer, and expires it at once otherwise', async () => {
    const t = await startTransport({ ...topology, queues: [{ name: 'now', messageTtl: 0, deadLetterExchange: 'dlx' }, { name: 'dlq' }] });
    await t.publish(message('', 'now', { n: 1 }));
    expect(t.queueDepth('now').ready).toBe(0);
    expect(t.messages('dlq').map((m) => m.payload)).toEqual([{ n: 1 }]);
    const c = await collect(t, 'now', { settle: (d) => d.ack() });
    await t.publish(message('', 'now', { n: 2 }));
    await t.waitForIdle();
    expect(c.payloads()).toEqual([{ n: 2 }]);
  });
});
