import { describe, expect, it } from '@jest/globals';
import { PublishNackedError } from '../../../lib/errors/index.js';
import type { QueueDefinition, TopologyDefinition } from '../../../lib/topology/index.js';
import { collect, message, startTransport } from './memory.helpers.js';

const withQueue = (queue: Omit<QueueDefinition, 'name' | 'deadLetterExchange'>): TopologyDefinition => ({
  exchanges: [{ name: 'dlx', type: 'fanout' }, { name: 'both', type: 'fanout' }],
  queues: [{ name: 'limited', deadLetterExchange: 'dlx', ...queue }, { name: 'dlq' }, { name: 'unlimited' }],
  bindings: [
    { exchange: 'dlx', queue: 'dlq' },
    { exchange: 'both', queue: 'limited' },
    { exchange: 'both', queue: 'unlimited' },
  ],
});

const payloads = (t: Awaited<ReturnType<typeof startTransport>>, queue: string): unknown[] => t.messages(queue).map((m) => m.payload);

describe('MemoryTransport queue length limits', () => {
  it('drop-head (the default) dead-letters the oldest messages with reason maxlen', async () => {
    const t = await startTransport(withQueue({ maxLength: 2 }));
    for (let n = 1; n <= 4; n++) await t.publish(message('', 'limited', { n }));
    expect(payloads(t, 'limited')).toEqual([{ n: 3 }, { n: 4 }]);
    expect(payloads(t, 'dlq')).toEqual([{ n: 1 }, { n: 2 }]);
    const [dead] = t.messages('dlq');
    expect((dead.properties.headers?.['x-death'] as { reason: string; queue: string }[])[0]).toMatchObject({ reason: 'maxlen', queue: 'limited' });
    expect(t.records.deadLettered.map((r) => r.reason)).toEqual(['maxlen', 'maxlen']);
    expect(t.records.published.every((p) => p.outcome === 'routed')).toBe(true);
  });

  it('drop-head applies maxLengthBytes to the total body size of ready messages', async () => {
    const t = await startTransport(withQueue({ maxLengthBytes: 20, overflow: 'drop-head' }));
    const tenBytes = (tag: string): ReturnType<typeof message> => ({ ...message('', 'limited'), body: Buffer.from(tag.padEnd(10, '.')) });
    await t.publish(tenBytes('a'));
    await t.publish(tenBytes('b'));
    await t.publish(tenBytes('c'));
    expect(t.messages('limited').map((m) => m.body.toString()[0])).toEqual(['b', 'c']);
    expect(t.queueDepth('dlq').ready).toBe(1);
  });

  it('counts only ready messages, not unacked ones', async () => {
    const t = await startTransport(withQueue({ maxLength: 1 }));
    const c = await collect(t, 'limited', { prefetch: 2 });
    for (let n = 1; n <= 3; n++) await t.publish(message('', 'limited', { n }));
    await t.waitFor((r) => r.delivered.length === 2);
    expect(t.queueDepth('limited')).toEqual({ ready: 1, unacked: 2 });
    expect(t.queueDepth('dlq').ready).toBe(0);
    expect(c.payloads()).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it('drop-head with maxLength 0 still hands a message to a waiting consumer', async () => {
    const t = await startTransport(withQueue({ maxLength: 0 }));
    await t.publish(message('', 'limited', { n: 1 }));
    expect(payloads(t, 'dlq')).toEqual([{ n: 1 }]);
    const c = await collect(t, 'limited', { settle: (d) => d.ack() });
    await t.publish(message('', 'limited', { n: 2 }));
    await t.waitForIdle();
    expect(c.payloads()).toEqual([{ n: 2 }]);
  });

  it('drop-head also trims when a requeue takes the queue over its limit', async () => {
    const t = await startTransport(withQueue({ maxLength: 1 }));
    const c = await collect(t, 'limited', { prefetch: 1 });
    await t.publish(message('', 'limited', { n: 1 }));
    await t.publish(message('', 'limited', { n: 2 }));
    await t.waitFor((r) => r.delivered.length === 1);
    await c.subscription.cancel();
    c.deliveries[0].nack(true);
    expect(payloads(t, 'limited')).toEqual([{ n: 2 }]);
    expect(payloads(t, 'dlq')).toEqual([{ n: 1 }]);
  });

  it('reject-publish refuses the new message with PublishNackedError and keeps the old ones', async () => {
    const t = await startTransport(withQueue({ maxLength: 2, overflow: 'reject-publish' }));
    await t.publish(message('', 'limited', { n: 1 }));
    await t.publish(message('', 'limited', { n: 2 }));
    const refused = t.publish(message('', 'limited', { n: 3 }));
    await expect(refused).rejects.toBeInstanceOf(PublishNackedError);
    await expect(refused).rejects.toMatchObject({ exchange: '', routingKey: 'limited' });
    expect(payloads(t, 'limited')).toEqual([{ n: 1 }, { n: 2 }]);
    expect(t.queueDepth('dlq').ready).toBe(0);
    expect(t.records.published.map((p) => p.outcome)).toEqual(['routed', 'routed', 'nacked']);
  });

  it('reject-publish nacks the publish while other matching queues still get the message, even when mandatory', async () => {
    const t = await startTransport(withQueue({ maxLength: 0, overflow: 'reject-publish' }));
    await expect(t.publish(message('both', '', { n: 1 }, {}, true))).rejects.toBeInstanceOf(PublishNackedError);
    expect(payloads(t, 'unlimited')).toEqual([{ n: 1 }]);
    expect(t.records.published[0]).toMatchObject({ outcome: 'nacked', routedQueues: ['unlimited'] });
  });

  it('reject-publish refuses over the limit even when a consumer is free, as RabbitMQ checks before delivering', async () => {
    const t = await startTransport(withQueue({ maxLength: 0, overflow: 'reject-publish' }));
    await collect(t, 'limited');
    await expect(t.publish(message('', 'limited'))).rejects.toBeInstanceOf(PublishNackedError);
    expect(t.records.delivered).toHaveLength(0);
  });

  it('reject-publish accepts again once a message has been consumed', async () => {
    const t = await startTransport(withQueue({ maxLength: 1, overflow: 'reject-publish' }));
    await t.publish(message('', 'limited', { n: 1 }));
    await expect(t.publish(message('', 'limited', { n: 2 }))).rejects.toBeInstanceOf(PublishNackedError);
    const c = await collect(t, 'limited', { settle: (d) => d.ack() });
    await t.waitForIdle();
    await expect(t.publish(message('', 'limited', { n: 3 }))).resolves.toBeUndefined();
    await t.waitForIdle();
    expect(c.payloads()).toEqual([{ n: 1 }, { n: 3 }]);
  });

  it('reject-publish-dlx refuses the new message and dead-letters it with reason maxlen', async () => {
    const t = await startTransport(withQueue({ maxLengthBytes: 10, overflow: 'reject-publish-dlx' }));
    await t.publish(message('', 'limited', { n: 1 }));
    await expect(t.publish(message('', 'limited', { n: 2 }))).rejects.toBeInstanceOf(PublishNackedError);
    expect(payloads(t, 'limited')).toEqual([{ n: 1 }]);
    expect(payloads(t, 'dlq')).toEqual([{ n: 2 }]);
    expect(t.records.deadLettered).toMatchObject([{ sourceQueue: 'limited', reason: 'maxlen', routedQueues: ['dlq'], payload: { n: 2 } }]);
  });
});
