import { afterEach, describe, expect } from '@jest/globals';
import type { HeaderValue } from '../../lib/transports/transport.interface.js';
import type { TransportHarness } from './conformance.harness.js';
import { collect, conformanceCase, drainAtLeast, publishInOrder, sleep, startedTransport, waitUntil } from './conformance.helpers.js';

/** Consuming and settling: ack, nack, prefetch, round-robin and cancel. */
export function describeDeliveryConformance(harness: TransportHarness): void {
  describe('consuming and settling', () => {
    afterEach(() => harness.cleanup());

    conformanceCase(harness, 'consume.ack', 'consume delivers what was published; ack removes it for good', async () => {
      const queue = harness.name('q');
      const transport = await startedTransport(harness, { queues: [{ name: queue }] });
      const acks: boolean[] = [];
      const received = await collect(transport, queue, { settle: (d) => acks.push(d.ack()) });
      await publishInOrder(transport, '', queue, ['m1', 'm2', 'm3'], { headers: { tenant: 'acme' } });
      await waitUntil(() => received.deliveries.length === 3, '3 deliveries');
      expect(received.bodies()).toEqual(['m1', 'm2', 'm3']);
      expect(received.deliveries[0].message).toMatchObject({ queue, exchange: '', routingKey: queue, redelivered: false });
      expect(received.deliveries[0].message.properties.headers).toEqual({ tenant: 'acme' });
      expect(received.deliveries.map((d) => d.attempt)).toEqual([1, 1, 1]);
      expect(acks).toEqual([true, true, true]);
      // Settling twice is refused, and sends nothing the broker could object to.
      expect(received.deliveries[0].ack()).toBe(false);
      expect(received.deliveries[0].nack(true)).toBe(false);
      await sleep(harness.quietMs);
      expect(received.deliveries).toHaveLength(3);
      // Counted after closing: an ack that never reached the broker would be back in the queue.
      expect(await harness.countAfterClose(transport, queue)).toBe(0);
    });

    conformanceCase(harness, 'consume.requeue', 'nack(requeue) delivers the message again, redelivered, as attempt 2', async () => {
      const queue = harness.name('q');
      const transport = await startedTransport(harness, { queues: [{ name: queue }] });
      const received = await collect(transport, queue, { settle: (d, i) => (i === 0 ? d.nack(true) : d.ack()) });
      await publishInOrder(transport, '', queue, ['again']);
      await waitUntil(() => received.deliveries.length === 2, 'the redelivery');
      expect(received.bodies()).toEqual(['again', 'again']);
      expect(received.deliveries.map((d) => [d.message.redelivered, d.attempt])).toEqual([[false, 1], [true, 2]]);
      // The redelivery was acked for good: nothing is back in the queue once the transport closed.
      expect(await harness.countAfterClose(transport, queue)).toBe(0);
    });

    conformanceCase(harness, 'consume.reject', 'nack(false) lets the broker dead-letter the message, recorded in x-death', async () => {
      const dlx = harness.name('dlx');
      const queue = harness.name('work');
      const dlq = harness.name('dlq');
      const transport = await startedTransport(harness, {
        exchanges: [{ name: dlx, type: 'fanout' }],
        queues: [{ name: queue, deadLetterExchange: dlx }, { name: dlq }],
        bindings: [{ exchange: dlx, queue: dlq }],
      });
      await collect(transport, queue, { settle: (d) => d.nack(false) });
      await publishInOrder(transport, '', queue, ['poison']);
      const [dead] = await drainAtLeast(harness, transport, dlq, 1);
      expect(dead.body.toString()).toBe('poison');
      const deaths = dead.properties.headers?.['x-death'] as Array<Record<string, HeaderValue>>;
      expect(deaths).toHaveLength(1);
      expect(deaths[0]).toMatchObject({ reason: 'rejected', queue, count: 1 });
      expect(await harness.countAfterClose(transport, queue)).toBe(0);
    });

    conformanceCase(harness, 'consume.prefetch', 'prefetch bounds the unsettled deliveries handed out', async () => {
      const queue = harness.name('q');
      const transport = await startedTransport(harness, { queues: [{ name: queue }] });
      await publishInOrder(transport, '', queue, ['p1', 'p2', 'p3', 'p4', 'p5']);
      const received = await collect(transport, queue, { prefetch: 2 });
      await waitUntil(() => received.deliveries.length === 2, '2 deliveries');
      await sleep(harness.quietMs);
      expect(received.bodies()).toEqual(['p1', 'p2']);
      received.deliveries[0].ack();
      await waitUntil(() => received.deliveries.length === 3, 'a third delivery once one was settled');
      await sleep(harness.quietMs);
      expect(received.bodies()).toEqual(['p1', 'p2', 'p3']);
      for (const delivery of received.deliveries) delivery.ack();
      await waitUntil(() => received.deliveries.length === 5, 'the rest');
    });

    conformanceCase(harness, 'consume.round-robin', 'two consumers of one queue take turns', async () => {
      const queue = harness.name('q');
      const transport = await startedTransport(harness, { queues: [{ name: queue }] });
      const first = await collect(transport, queue, { prefetch: 10, name: 'first', settle: (d) => d.ack() });
      const second = await collect(transport, queue, { prefetch: 10, name: 'second', settle: (d) => d.ack() });
      const bodies = Array.from({ length: 10 }, (_, i) => `rr${i}`);
      await publishInOrder(transport, '', queue, bodies);
      await waitUntil(() => first.deliveries.length + second.deliveries.length === 10, '10 deliveries');
      expect(first.deliveries).toHaveLength(5);
      expect(second.deliveries).toHaveLength(5);
      expect([...first.bodies(), ...second.bodies()].sort()).toEqual([...bodies].sort());
    });

    conformanceCase(harness, 'consume.cancel', 'cancel stops new deliveries; those handed out can still be settled', async () => {
      const queue = harness.name('q');
      const transport = await startedTransport(harness, { queues: [{ name: queue }] });
      await publishInOrder(transport, '', queue, ['c1', 'c2', 'c3']);
      const received = await collect(transport, queue, { prefetch: 1 });
      await waitUntil(() => received.deliveries.length === 1, 'the first delivery');
      await received.subscription.cancel();
      expect(received.deliveries[0].ack()).toBe(true);
      await sleep(harness.quietMs);
      expect(received.bodies()).toEqual(['c1']);
      expect(await harness.readyCount(transport, queue)).toBe(2);
    });
  });
}
