import { describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import type { TopologyDefinition } from '../../../lib/topology/index.js';
import type { HeaderValue } from '../../../lib/transports/transport.interface.js';
import { collect, message, startTransport } from './memory.helpers.js';

/** work -> (dlx "work.dlx", key "dead") -> work.dlq; retry: work.dlq consumers can send back to work. */
const topology: TopologyDefinition = {
  exchanges: [
    { name: 'app', type: 'topic' },
    { name: 'work.dlx', type: 'direct' },
  ],
  queues: [
    { name: 'work', deadLetterExchange: 'work.dlx' },
    { name: 'work.dlq' },
    { name: 'renamed', deadLetterExchange: 'work.dlx', deadLetterRoutingKey: 'dead' },
    { name: 'no-dlx' },
  ],
  bindings: [
    { exchange: 'app', queue: 'work', routingKey: 'jobs.*' },
    { exchange: 'app', queue: 'renamed', routingKey: 'renamed.*' },
    { exchange: 'app', queue: 'no-dlx', routingKey: 'lost.*' },
    { exchange: 'work.dlx', queue: 'work.dlq', routingKey: 'jobs.run' },
    { exchange: 'work.dlx', queue: 'work.dlq', routingKey: 'dead' },
  ],
};

type Table = Record<string, HeaderValue>;
const deaths = (headers: Record<string, HeaderValue> | undefined): Table[] => (headers?.['x-death'] ?? []) as Table[];

describe('MemoryTransport dead-lettering', () => {
  it('routes nack(requeue=false) to the dead-letter exchange with the original routing key and an x-death entry', async () => {
    const t = await startTransport(topology);
    const c = await collect(t, 'work', { settle: (d) => d.nack(false) });
    const before = Math.floor(Date.now() / 1000) * 1000;
    await t.publish(message('app', 'jobs.run', { n: 1 }, { messageId: 'm1', headers: { keep: 'me' } }));
    await t.waitForIdle();
    expect(c.deliveries).toHaveLength(1);
    const [dead] = t.messages('work.dlq');
    expect(dead).toMatchObject({ exchange: 'work.dlx', routingKey: 'jobs.run', payload: { n: 1 }, redelivered: false });
    expect(dead.properties.messageId).toBe('m1');
    const headers = dead.properties.headers ?? {};
    expect(headers['keep']).toBe('me');
    expect(deaths(headers)).toEqual([
      { count: 1, reason: 'rejected', queue: 'work', time: expect.any(Date), exchange: 'app', 'routing-keys': ['jobs.run'] },
    ]);
    const time = deaths(headers)[0]['time'] as Date;
    expect(time.getTime()).toBeGreaterThanOrEqual(before);
    expect(time.getTime() % 1000).toBe(0);
    expect(headers).toMatchObject({
      'x-first-death-reason': 'rejected',
      'x-first-death-queue': 'work',
      'x-first-death-exchange': 'app',
    });
    expect(t.records.deadLettered).toMatchObject([
      { sourceQueue: 'work', reason: 'rejected', targetExchange: 'work.dlx', targetRoutingKey: 'jobs.run', routedQueues: ['work.dlq'], originalExchange: 'app', payload: { n: 1 } },
    ]);
    expect(t.records.nacked).toMatchObject([{ queue: 'work', requeue: false }]);
  });

  it('uses the queue dead-letter routing key when one is set', async () => {
    const t = await startTransport(topology);
    await collect(t, 'renamed', { settle: (d) => d.nack(false) });
    await t.publish(message('app', 'renamed.x'));
    await t.waitForIdle();
    const [dead] = t.messages('work.dlq');
    expect(dead.routingKey).toBe('dead');
    expect(deaths(dead.properties.headers)[0]['routing-keys']).toEqual(['renamed.x']);
  });

  it('discards the message when the queue has no dead-letter exchange', async () => {
    const t = await startTransport(topology);
    await collect(t, 'no-dlx', { settle: (d) => d.nack(false) });
    await t.publish(message('app', 'lost.x'));
    await t.waitForIdle();
    expect(t.queueDepth('no-dlx')).toEqual({ ready: 0, unacked: 0 });
    expect(t.records.deadLettered).toMatchObject([{ sourceQueue: 'no-dlx', reason: 'rejected', targetExchange: undefined, routedQueues: [] }]);
  });

  it('discards the message when the dead-letter exchange routes it nowhere', async () => {
    const t = await startTransport(topology);
    await collect(t, 'work', { settle: (d) => d.nack(false) });
    await t.publish(message('app', 'jobs.unbound'));
    await t.waitForIdle();
    expect(t.queueDepth('work.dlq').ready).toBe(0);
    expect(t.records.deadLettered).toMatchObject([{ targetExchange: 'work.dlx', routedQueues: [] }]);
  });

  it('increments count for the same queue and reason, keeping the first entry fields, and sets x-first-death once', async () => {
    const t = await startTransport({
      exchanges: [{ name: 'retry.dlx', type: 'fanout' }, { name: 'back', type: 'fanout' }],
      queues: [
        { name: 'work', deadLetterExchange: 'retry.dlx' },
        { name: 'delay', messageTtl: 5, deadLetterExchange: 'back' },
      ],
      bindings: [
        { exchange: 'retry.dlx', queue: 'delay' },
        { exchange: 'back', queue: 'work' },
      ],
    });
    let attempts = 0;
    await collect(t, 'work', { settle: (d) => (++attempts < 3 ? d.nack(false) : d.ack()) });
    await t.publish(message('', 'work', { n: 1 }));
    await t.waitFor((r) => r.acked.length === 1);
    const secondRejection = t.records.deadLettered[2];
    expect(secondRejection).toMatchObject({ sourceQueue: 'work', reason: 'rejected' });
    // The existing work/rejected entry moved to the front with its count bumped.
    expect(deaths(secondRejection.properties.headers).map((d) => [d['queue'], d['reason'], d['count']])).toEqual([
      ['work', 'rejected', 2],
      ['delay', 'expired', 1],
    ]);
    const last = t.records.delivered[t.records.delivered.length - 1];
    const headers = last.properties.headers ?? {};
    expect(deaths(headers).map((d) => [d['queue'], d['reason'], d['count'], d['exchange']])).toEqual([
      ['delay', 'expired', 2, 'retry.dlx'],
      ['work', 'rejected', 2, ''],
    ]);
    expect(headers).toMatchObject({
      'x-first-death-reason': 'rejected',
      'x-first-death-queue': 'work',
      'x-first-death-exchange': '',
    });
    // RabbitMQ 3.10 has no x-last-death-* (3.13 added them).
    expect(Object.keys(headers).filter((key) => key.startsWith('x-last-death'))).toEqual([]);
    expect(last.exchange).toBe('back');
    expect(last.routingKey).toBe('work');
  });

  it('removes expiration from the dead-lettered copy and keeps it as original-expiration', async () => {
    const t = await startTransport(topology);
    await collect(t, 'work', { settle: (d) => d.nack(false) });
    await t.publish(message('app', 'jobs.run', {}, { expiration: 60_000 }));
    await t.waitForIdle();
    const [dead] = t.messages('work.dlq');
    expect(dead.properties.expiration).toBeUndefined();
    expect(dead.expiresAt).toBeUndefined();
    expect(deaths(dead.properties.headers)[0]['original-expiration']).toBe('60000');
  });

  it('drops a message that would cycle back into a queue without any rejection', async () => {
    // A TTL queue dead-lettering into itself: RabbitMQ drops it rather than looping forever.
    const t = await startTransport({
      exchanges: [{ name: 'self', type: 'fanout' }],
      queues: [{ name: 'loop', messageTtl: 1, deadLetterExchange: 'self' }],
      bindings: [{ exchange: 'self', queue: 'loop' }],
    });
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      await t.publish(message('', 'loop'));
      await t.waitFor((r) => r.deadLettered.length === 1);
      expect(t.records.deadLettered).toMatchObject([{ sourceQueue: 'loop', reason: 'expired', targetExchange: 'self', routedQueues: [] }]);
      expect(t.queueDepth('loop').ready).toBe(0);
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('Dead-letter cycle: message from "loop" (expired)'));
    } finally {
      warn.mockRestore();
    }
  });
});
