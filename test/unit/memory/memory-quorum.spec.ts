import { describe, expect, it } from '@jest/globals';
import { InvalidOptionsError } from '../../../lib/errors/index.js';
import { MemoryTransport } from '../../../lib/transports/memory/index.js';
import type { TopologyDefinition } from '../../../lib/topology/index.js';
import { collect, message, startTransport } from './memory.helpers.js';

// The rules shared with RabbitMQ are proven against both brokers by test/conformance; these are the
// cases too slow to run there (several broker-side connection closes) or specific to the memory broker.
const topology = (limit: number): TopologyDefinition => ({
  exchanges: [{ name: 'dlx', type: 'fanout' }],
  queues: [{ name: 'q', type: 'quorum', deadLetterExchange: 'dlx', arguments: { 'x-delivery-limit': limit } }, { name: 'dlq' }],
  bindings: [{ exchange: 'dlx', queue: 'dlq' }],
});

describe('MemoryTransport quorum queues', () => {
  it('counts a lost channel as a delivery against x-delivery-limit, as RabbitMQ 3.10 does', async () => {
    const t = await startTransport(topology(1));
    const c = await collect(t, 'q');
    await t.publish(message('', 'q', { n: 1 }));
    await t.waitFor((r) => r.delivered.length === 1);
    t.simulateConnectionLoss();
    await t.waitFor((r) => r.delivered.length === 2);
    expect(c.deliveries[1].message.properties.headers?.['x-delivery-count']).toBe(1);
    t.simulateConnectionLoss();
    await t.waitFor((r) => r.deadLettered.length === 1);
    expect(t.records.deadLettered).toMatchObject([{ sourceQueue: 'q', reason: 'delivery_limit', routedQueues: ['dlq'] }]);
    expect(t.queueDepth('q')).toEqual({ ready: 0, unacked: 0 });
  });

  it('does not count deliveries a cancelled consumer never handed to its handler', async () => {
    const t = await startTransport(topology(0));
    await t.publish(message('', 'q', { n: 1 }));
    const c = await collect(t, 'q');
    // Assigned synchronously, handed over on a later macrotask: cancelling now takes it back unseen.
    await c.subscription.cancel();
    expect(c.deliveries).toHaveLength(0);
    const again = await collect(t, 'q', { settle: (d) => d.ack() });
    await t.waitForIdle();
    expect(again.deliveries.map((d) => [d.message.redelivered, d.message.properties.headers?.['x-delivery-count']])).toEqual([[false, undefined]]);
    expect(t.records.deadLettered).toHaveLength(0);
  });

  it('refuses a negative deadLetterRequeueDelayMs', () => {
    expect(() => new MemoryTransport({ deadLetterRequeueDelayMs: -1 })).toThrow(InvalidOptionsError);
  });
});
