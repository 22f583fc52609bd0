import { afterEach, describe, expect } from '@jest/globals';
import type { TransportDelivery } from '../../lib/transports/transport.interface.js';
import type { TransportHarness } from './conformance.harness.js';
import { collect, conformanceCase, drainAtLeast, outbound, sleep, startedTransport, twoDeliveriesEach, waitUntil } from './conformance.helpers.js';

const deliveryCount = (d: TransportDelivery): unknown => d.message.properties.headers?.['x-delivery-count'];

/** Attempt counting, and what quorum queues do differently with returned messages (RabbitMQ 3.10). */
export function describeQuorumConformance(harness: TransportHarness): void {
  describe('attempts and quorum queues', () => {
    afterEach(() => harness.cleanup());

    conformanceCase(harness, 'attempt.classic', 'classic queue: a redelivery is attempt 2, however often (no delivery count)', async () => {
      const queue = harness.name('classic');
      const transport = await startedTransport(harness, { queues: [{ name: queue }] });
      const received = await collect(transport, queue, { settle: (d, i) => (i < 2 ? d.nack(true) : d.ack()) });
      await transport.publish(outbound('', queue, 'c'));
      await waitUntil(() => received.deliveries.length === 3, '3 deliveries');
      expect(received.deliveries.map((d) => [d.message.redelivered, d.attempt, deliveryCount(d)])).toEqual([
        [false, 1, undefined],
        [true, 2, undefined],
        [true, 2, undefined],
      ]);
    });

    conformanceCase(harness, 'attempt.quorum', 'quorum queue: x-delivery-count counts redeliveries, and attempt follows it', async () => {
      const queue = harness.name('quorum');
      const transport = await startedTransport(harness, { queues: [{ name: queue, type: 'quorum' }] });
      const received = await collect(transport, queue, { settle: (d, i) => (i < 2 ? d.nack(true) : d.ack()) });
      await transport.publish(outbound('', queue, 'q'));
      await waitUntil(() => received.deliveries.length === 3, '3 deliveries');
      expect(received.deliveries.map((d) => [d.message.redelivered, d.attempt, deliveryCount(d)])).toEqual([
        [false, 1, undefined],
        [true, 2, 1],
        [true, 3, 2],
      ]);
    });

    conformanceCase(harness, 'attempt.retry-header', 'x-retry-attempt adds the retries the SDK recorded to the attempt', async () => {
      const { fromClassic, fromQuorum } = await twoDeliveriesEach(harness, { 'x-retry-attempt': 2 });
      expect(fromClassic.deliveries.map((d) => d.attempt)).toEqual([3, 4]);
      expect(fromQuorum.deliveries.map((d) => d.attempt)).toEqual([3, 4]);
    });

    conformanceCase(harness, 'quorum.return-order', 'returned messages: classic restores the original order; quorum sends a nack to the tail and a lost channel\'s to the front', async () => {
      const classic = harness.name('classic');
      const quorum = harness.name('quorum');
      const transport = await startedTransport(harness, { queues: [{ name: classic }, { name: quorum, type: 'quorum' }] });
      for (const queue of [classic, quorum]) {
        await transport.publish(outbound('', queue, 'a'));
        await transport.publish(outbound('', queue, 'b'));
      }
      // First delivery nacked with requeue, second held until the connection goes, the rest acked.
      const settle = (d: TransportDelivery, i: number): unknown => (i === 0 ? d.nack(true) : i === 1 ? undefined : d.ack());
      const fromClassic = await collect(transport, classic, { prefetch: 1, settle });
      const fromQuorum = await collect(transport, quorum, { prefetch: 1, settle });
      await waitUntil(() => fromClassic.deliveries.length === 2 && fromQuorum.deliveries.length === 2, 'a held delivery on each queue');
      await harness.loseConnection(transport);
      await waitUntil(() => fromClassic.deliveries.length === 4 && fromQuorum.deliveries.length === 4, 'every message delivered after the loss', 20_000);
      const seen = (c: typeof fromClassic): unknown[] => c.deliveries.map((d) => [d.message.body.toString(), d.message.redelivered, deliveryCount(d)]);
      // Classic: the nacked "a" comes straight back (head), is held, and after the loss comes back before "b".
      expect(seen(fromClassic)).toEqual([['a', false, undefined], ['a', true, undefined], ['a', true, undefined], ['b', false, undefined]]);
      // Quorum: the nacked "a" waits behind "b"; the held "b" comes back first after the loss.
      expect(seen(fromQuorum)).toEqual([['a', false, undefined], ['b', false, undefined], ['b', true, 1], ['a', true, 1]]);
    });

    conformanceCase(harness, 'quorum.delivery-limit', 'quorum x-delivery-limit N: delivered N + 1 times, then dead-lettered with reason delivery_limit', async () => {
      const dlx = harness.name('dlx');
      const queue = harness.name('limited');
      const dlq = harness.name('dlq');
      const transport = await startedTransport(harness, {
        exchanges: [{ name: dlx, type: 'fanout' }],
        queues: [{ name: queue, type: 'quorum', deadLetterExchange: dlx, arguments: { 'x-delivery-limit': 2 } }, { name: dlq }],
        bindings: [{ exchange: dlx, queue: dlq }],
      });
      const received = await collect(transport, queue, { settle: (d) => d.nack(true) });
      await transport.publish(outbound('', queue, 'poison'));
      const [dead] = await drainAtLeast(harness, transport, dlq, 1);
      expect(received.deliveries.map((d) => [d.attempt, deliveryCount(d)])).toEqual([[1, undefined], [2, 1], [3, 2]]);
      expect(dead.properties.headers).toMatchObject({ 'x-first-death-reason': 'delivery_limit', 'x-first-death-queue': queue });
      expect(dead.properties.headers?.['x-delivery-count']).toBeUndefined();
      await sleep(harness.quietMs);
      expect(received.deliveries).toHaveLength(3);
      expect(await harness.countAfterClose(transport, queue)).toBe(0);
    });
  });
}
