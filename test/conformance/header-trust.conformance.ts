import { afterEach, describe, expect } from '@jest/globals';
import { supportsQueueAccess, type MessagingTransport, type QueueAccess } from '../../lib/transports/transport.interface.js';
import type { TransportHarness } from './conformance.harness.js';
import { collect, conformanceCase, outbound, startedTransport, twoDeliveriesEach, waitUntil } from './conformance.helpers.js';

const countHeader = (d: { message: { properties: { headers?: Record<string, unknown> } } }): unknown => d.message.properties.headers?.['x-delivery-count'];

function queueAccess(transport: MessagingTransport): QueueAccess {
  if (!supportsQueueAccess(transport)) throw new Error('this rule needs the queue access SPI');
  return transport;
}

/**
 * Delivery counts only the broker can set: what RabbitMQ 3.10 does with an `x-delivery-count` a producer
 * wrote, and that reading a quorum queue (`basic.get`, then giving the message back) counts as a delivery.
 */
export function describeHeaderTrustConformance(harness: TransportHarness): void {
  describe('delivery counts a producer cannot forge', () => {
    afterEach(() => harness.cleanup());

    conformanceCase(harness, 'attempt.forged-delivery-count', "a producer's x-delivery-count: 1000 changes neither attempt nor deliveryCount, on classic or quorum queues", async () => {
      const { fromClassic, fromQuorum } = await twoDeliveriesEach(harness, { 'x-delivery-count': 1000 });
      // A classic queue never touches the header, and its broker keeps no count.
      expect(fromClassic.deliveries.map((d) => [d.attempt, d.deliveryCount, countHeader(d)])).toEqual([
        [1, undefined, 1000],
        [2, undefined, 1000],
      ]);
      // RabbitMQ 3.10 hands the producer's value to the first consumer as it is, and writes its own count
      // on a redelivery: only the redelivery's header is the broker's.
      expect(fromQuorum.deliveries.map((d) => [d.attempt, d.deliveryCount, countHeader(d)])).toEqual([
        [1, 0, 1000],
        [2, 1, 1],
      ]);
    });

    conformanceCase(harness, 'quorum.reader-returns-count', 'reading a quorum queue counts each read as a delivery (x-delivery-count); a classic queue counts nothing', async () => {
      const classic = harness.name('classic');
      const quorum = harness.name('quorum');
      const transport = await startedTransport(harness, { queues: [{ name: classic }, { name: quorum, type: 'quorum' }] });
      const access = queueAccess(transport);
      await transport.publish(outbound('', classic, 'c', { headers: { 'x-delivery-count': 1000 } }));
      await transport.publish(outbound('', quorum, 'q', { headers: { 'x-delivery-count': 1000 } }));
      const seen: Record<string, unknown[]> = { [classic]: [], [quorum]: [] };
      for (let read = 0; read < 3; read++) {
        for (const queue of [classic, quorum]) {
          const reader = await access.openQueueReader(queue);
          let delivery = await reader.get();
          // The broker may still be putting the previous read's message back.
          for (let tries = 0; delivery === undefined && tries < 200; tries++) {
            await new Promise((resolve) => setTimeout(resolve, 10));
            delivery = await reader.get();
          }
          seen[queue]!.push([delivery?.message.redelivered, countHeader(delivery!)]);
          await reader.close();
        }
      }
      expect(seen[classic]).toEqual([
        [false, 1000],
        [true, 1000],
        [true, 1000],
      ]);
      // basic.get on a RabbitMQ 3.10 quorum queue writes the count, 0 on the first read.
      expect(seen[quorum]).toEqual([
        [false, 0],
        [true, 1],
        [true, 2],
      ]);
      const consumed = await collect(transport, quorum, { settle: (d) => d.ack() });
      await waitUntil(() => consumed.deliveries.length === 1, 'the quorum message, consumed');
      expect(consumed.deliveries.map((d) => [d.deliveryCount, d.attempt])).toEqual([[3, 4]]);
    });
  });
}
