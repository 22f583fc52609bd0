import { describe, expect, it } from '@jest/globals';
import { TransportStateError } from '../../../lib/errors/index.js';
import type { TopologyDefinition } from '../../../lib/topology/index.js';
import { MemoryTransport } from '../../../lib/transports/memory/index.js';
import type { TransportDelivery } from '../../../lib/transports/transport.interface.js';
import { collect, message, nextMacrotask, startTransport } from './memory.helpers.js';

const topology: TopologyDefinition = { queues: [{ name: 'q' }] };

describe('MemoryTransport lifecycle', () => {
  it('rejects publish and consume before start() and after close() with TransportStateError', async () => {
    const t = new MemoryTransport();
    await expect(t.publish(message('', 'q'))).rejects.toThrow(TransportStateError);
    await expect(t.publish(message('', 'q'))).rejects.toThrow(/before start/);
    await expect(t.consume({ queue: 'q', prefetch: 1, consumerName: 'c' }, () => undefined)).rejects.toThrow(TransportStateError);
    expect(() => t.simulateConnectionLoss()).toThrow(TransportStateError);
    await t.start(topology);
    await t.close();
    await expect(t.publish(message('', 'q'))).rejects.toThrow(/after close/);
    await expect(t.consume({ queue: 'q', prefetch: 1, consumerName: 'c' }, () => undefined)).rejects.toThrow(TransportStateError);
    await t.close();
    expect(t.records.published).toHaveLength(0);
  });

  it('close() returns unacked deliveries to the head with redelivered set and invalidates their handles', async () => {
    const t = await startTransport(topology);
    for (let n = 1; n <= 3; n++) await t.publish(message('', 'q', { n }));
    const c = await collect(t, 'q', { prefetch: 2 });
    await t.waitFor((r) => r.delivered.length === 2);
    await t.close();
    expect(t.messages('q').map((m) => [m.payload, m.redelivered])).toEqual([
      [{ n: 1 }, true],
      [{ n: 2 }, true],
      [{ n: 3 }, false],
    ]);
    expect(c.deliveries[0].ack()).toBe(false);
    expect(c.deliveries[1].nack(false)).toBe(false);
    expect(t.queueDepth('q')).toEqual({ ready: 3, unacked: 0 });
    expect(t.records.acked).toHaveLength(0);
    await nextMacrotask();
    expect(c.deliveries).toHaveLength(2);
  });

  it('lets an app restart on the same transport and receive the unsettled messages again', async () => {
    const t = await startTransport(topology);
    await t.publish(message('', 'q', { n: 1 }));
    const before = await collect(t, 'q');
    await t.waitFor((r) => r.delivered.length === 1);
    await t.close();
    await t.start(topology);
    const after = await collect(t, 'q', { settle: (d) => d.ack() });
    await t.waitForIdle();
    expect(before.deliveries[0].ack()).toBe(false);
    expect(after.payloads()).toEqual([{ n: 1 }]);
    expect(after.deliveries[0].message.redelivered).toBe(true);
  });

  it('close() waits for pending publish confirms', async () => {
    const t = await startTransport(topology);
    let confirmed = false;
    void t.publish(message('', 'q')).then(() => (confirmed = true));
    await t.close();
    expect(confirmed).toBe(true);
  });

  it('close() stops subscriptions: a restart does not revive old handlers', async () => {
    const t = await startTransport(topology);
    const old = await collect(t, 'q', { settle: (d) => d.ack() });
    await t.close();
    await t.start(topology);
    await t.publish(message('', 'q'));
    await nextMacrotask();
    await nextMacrotask();
    expect(old.deliveries).toHaveLength(0);
    expect(t.queueDepth('q').ready).toBe(1);
  });

  it('close() before the handler ran returns those messages without calling it', async () => {
    const t = await startTransport(topology);
    await t.publish(message('', 'q'));
    const seen: TransportDelivery[] = [];
    await t.consume({ queue: 'q', prefetch: 5, consumerName: 'c' }, (d) => seen.push(d));
    expect(t.queueDepth('q')).toEqual({ ready: 0, unacked: 1 });
    await t.close();
    await nextMacrotask();
    expect(seen).toHaveLength(0);
    expect(t.queueDepth('q')).toEqual({ ready: 1, unacked: 0 });
  });

  it('simulateConnectionLoss() requeues unacked messages, invalidates handles, and keeps subscriptions delivering', async () => {
    const t = await startTransport(topology);
    for (let n = 1; n <= 2; n++) await t.publish(message('', 'q', { n }));
    const c = await collect(t, 'q', { prefetch: 10 });
    await t.waitFor((r) => r.delivered.length === 2);
    const [first, second] = c.deliveries;
    first.ack();
    t.simulateConnectionLoss();
    expect(second.ack()).toBe(false);
    await t.waitFor((r) => r.delivered.length === 3);
    const again = c.deliveries[2];
    expect(again.message.redelivered).toBe(true);
    expect(JSON.parse(again.message.body.toString())).toEqual({ n: 2 });
    expect(again.ack()).toBe(true);
    await t.waitForIdle();
    expect(t.records.acked.map((a) => a.payload)).toEqual([{ n: 1 }, { n: 2 }]);
    // Publishing keeps working after the reconnect.
    await t.publish(message('', 'q', { n: 3 }));
    await t.waitFor((r) => r.delivered.length === 4);
  });

  it('simulateConnectionLoss() lets a test check at-least-once handling end to end', async () => {
    const t = await startTransport(topology);
    const processed: unknown[] = [];
    let dropNext = true;
    await t.consume({ queue: 'q', prefetch: 1, consumerName: 'idempotent' }, (delivery) => {
      processed.push(JSON.parse(delivery.message.body.toString()));
      if (dropNext) {
        dropNext = false;
        t.simulateConnectionLoss(); // the ack below is lost with the connection
      }
      delivery.ack();
    });
    await t.publish(message('', 'q', { id: 'a' }));
    await t.waitForIdle();
    expect(processed).toEqual([{ id: 'a' }, { id: 'a' }]);
    expect(t.records.delivered.map((d) => d.redelivered)).toEqual([false, true]);
    expect(t.records.acked).toHaveLength(1);
  });

  it('simulateConnectionLoss() empties exclusive queues, which the reconnect re-declares', async () => {
    const t = await startTransport({ queues: [{ name: 'mine', exclusive: true }] });
    await t.publish(message('', 'mine'));
    await t.publish(message('', 'mine'));
    const c = await collect(t, 'mine', { prefetch: 1 });
    await t.waitFor((r) => r.delivered.length === 1);
    t.simulateConnectionLoss();
    expect(t.queueDepth('mine')).toEqual({ ready: 0, unacked: 0 });
    expect(c.deliveries[0].ack()).toBe(false);
    await t.publish(message('', 'mine'));
    await t.waitFor((r) => r.delivered.length === 2);
  });
});
