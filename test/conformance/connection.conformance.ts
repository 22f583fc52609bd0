import { afterEach, describe, expect } from '@jest/globals';
import { TransportStateError } from '../../lib/errors/index.js';
import type { DeadLetterOutcome } from '../../lib/transports/transport.interface.js';
import type { TransportHarness } from './conformance.harness.js';
import { collect, conformanceCase, outbound, rejectionOf, sleep, startedTransport, waitUntil } from './conformance.helpers.js';

/** Connection loss, lifecycle, stats and publish ordering. */
export function describeConnectionConformance(harness: TransportHarness): void {
  describe('connection loss and lifecycle', () => {
    afterEach(() => harness.cleanup());

    conformanceCase(harness, 'connection.stale', 'after a connection loss a delivery is stale: signal aborted, ack false, deadLetter "stale"; the message comes again, redelivered', async () => {
      const dlx = harness.name('dlx');
      const queue = harness.name('work');
      const dlq = harness.name('dlq');
      const transport = await startedTransport(harness, {
        exchanges: [{ name: dlx, type: 'fanout' }],
        queues: [{ name: queue, deadLetterExchange: dlx }, { name: dlq }],
        bindings: [{ exchange: dlx, queue: dlq }],
      });
      const received = await collect(transport, queue, { settle: (d, i) => (i > 0 ? d.ack() : undefined) });
      await transport.publish(outbound('', queue, 'held'));
      await waitUntil(() => received.deliveries.length === 1, 'the delivery');
      const [held] = received.deliveries;
      expect(held.signal.aborted).toBe(false);
      await harness.loseConnection(transport);
      await waitUntil(() => held.signal.aborted, 'the delivery to go stale');
      expect(held.ack()).toBe(false);
      expect(held.nack(false)).toBe(false);
      const outcome: DeadLetterOutcome = await held.deadLetter({ headers: { 'x-failure-kind': 'handler' }, summary: 'conformance: stale' });
      expect(outcome).toBe('stale');
      await waitUntil(() => received.deliveries.length === 2, 'the redelivery after reconnecting', 20_000);
      expect(received.deliveries[1].message).toMatchObject({ redelivered: true });
      expect(received.deliveries[1].attempt).toBe(2);
      await sleep(harness.quietMs);
      expect(await harness.readyCount(transport, dlq)).toBe(0);
    });

    conformanceCase(harness, 'lifecycle.stats', 'stats() and capabilities describe the transport', async () => {
      const queue = harness.name('q');
      const transport = harness.create();
      expect(typeof transport.kind).toBe('string');
      expect(transport.capabilities).toEqual({
        delayedRedelivery: expect.any(Boolean),
        deliveryCount: expect.stringMatching(/^(all|quorum|none)$/),
        orderedPublishing: expect.any(Boolean),
        reconnects: expect.any(Boolean),
      });
      expect(transport.stats()).toMatchObject({ state: 'created', connected: false, bufferedPublishes: 0, unconfirmedPublishes: 0, consumers: 0 });
      await transport.start(harness.declare({ queues: [{ name: queue }] }));
      expect(transport.stats()).toMatchObject({ state: 'running', connected: true, bufferedPublishes: 0, unconfirmedPublishes: 0, consumers: 0 });
      await collect(transport, queue);
      expect(transport.stats().consumers).toBe(1);
      await transport.close();
      expect(transport.stats()).toMatchObject({ state: 'closed', connected: false });
    });

    conformanceCase(harness, 'lifecycle.stats-after-cancel', 'stats().consumers no longer counts a cancelled subscription', async () => {
      const queue = harness.name('q');
      const transport = await startedTransport(harness, { queues: [{ name: queue }] });
      const received = await collect(transport, queue);
      expect(transport.stats().consumers).toBe(1);
      await received.subscription.cancel();
      expect(transport.stats().consumers).toBe(0);
    });

    conformanceCase(harness, 'lifecycle.close', 'close() returns unsettled deliveries to the queue; publish and consume then reject with TransportStateError', async () => {
      const queue = harness.name('q');
      const transport = await startedTransport(harness, { queues: [{ name: queue }] });
      const received = await collect(transport, queue);
      await transport.publish(outbound('', queue, 'unsettled'));
      await waitUntil(() => received.deliveries.length === 1, 'the delivery');
      await expect(transport.close()).resolves.toBeUndefined();
      expect(received.deliveries[0].ack()).toBe(false);
      await waitUntil(async () => (await harness.readyCount(transport, queue)) === 1, 'the message back in the queue');
      expect(await rejectionOf(transport.publish(outbound('', queue, 'late')))).toBeInstanceOf(TransportStateError);
      expect(await rejectionOf(transport.consume({ queue, prefetch: 1, consumerName: 'late' }, () => undefined))).toBeInstanceOf(TransportStateError);
    });

    conformanceCase(harness, 'ordering.per-key', '500 concurrent publishes to one exchange and routing key arrive in send order', async () => {
      const exchange = harness.name('ex');
      const queue = harness.name('q');
      const transport = await startedTransport(harness, {
        exchanges: [{ name: exchange, type: 'direct' }],
        queues: [{ name: queue }],
        bindings: [{ exchange, queue, routingKey: 'k' }],
      });
      const bodies = Array.from({ length: 500 }, (_, i) => String(i));
      await Promise.all(bodies.map((body) => transport.publish(outbound(exchange, 'k', body))));
      const received = await collect(transport, queue, { prefetch: 100, settle: (d) => d.ack() });
      await waitUntil(() => received.deliveries.length === 500, '500 deliveries');
      expect(received.bodies()).toEqual(bodies);
    });
  });
}
