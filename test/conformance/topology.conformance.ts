import { afterEach, describe, expect } from '@jest/globals';
import { TopologyError, UnroutableMessageError } from '../../lib/errors/index.js';
import type { TransportHarness } from './conformance.harness.js';
import { conformanceCase, outbound, rejectionOf, startedTransport, waitUntil } from './conformance.helpers.js';

/** Topology assertion and publishing: what `start` and `publish` promise. */
export function describeTopologyConformance(harness: TransportHarness): void {
  describe('topology and publishing', () => {
    afterEach(() => harness.cleanup());

    conformanceCase(harness, 'topology.idempotent', 'start asserts the topology, and asserting it again is harmless', async () => {
      const exchange = harness.name('ex');
      const queue = harness.name('q');
      const topology = { exchanges: [{ name: exchange, type: 'direct' as const }], queues: [{ name: queue }], bindings: [{ exchange, queue, routingKey: 'k' }] };
      const transport = harness.create();
      await harness.declareElsewhere(transport, topology);
      await transport.start(harness.declare(topology));
      await transport.publish(outbound(exchange, 'k', 'one'));
      // Still one queue and one binding: the second declaration neither duplicated nor reset anything.
      await waitUntil(async () => (await harness.readyCount(transport, queue)) === 1, 'the message in the queue');
      expect((await harness.drain(transport, queue)).map((m) => m.body.toString())).toEqual(['one']);
    });

    conformanceCase(harness, 'topology.conflict', 'start rejects with TopologyError when a queue exists with other arguments', async () => {
      const queue = harness.name('q');
      const transport = harness.create();
      await harness.declareElsewhere(transport, { queues: [{ name: queue, messageTtl: 1000 }] });
      const error = await rejectionOf(transport.start(harness.declare({ queues: [{ name: queue, messageTtl: 2000 }] })));
      expect(error).toBeInstanceOf(TopologyError);
      expect((error as Error).message).toContain('PRECONDITION_FAILED');
      expect((error as Error).message).toContain(queue);
    });

    conformanceCase(harness, 'topology.classic-delivery-limit', 'start rejects x-delivery-limit on a classic queue with TopologyError (quorum only)', async () => {
      const queue = harness.name('q');
      const transport = harness.create();
      const error = await rejectionOf(transport.start(harness.declare({ queues: [{ name: queue, arguments: { 'x-delivery-limit': 1 } }] })));
      expect(error).toBeInstanceOf(TopologyError);
      expect((error as Error).message).toContain('x-delivery-limit');
    });

    conformanceCase(harness, 'publish.confirm', 'publish resolves once the broker holds the message', async () => {
      const queue = harness.name('q');
      const transport = await startedTransport(harness, { queues: [{ name: queue }] });
      await transport.publish(outbound('', queue, 'confirmed', { headers: { tenant: 'acme' }, correlationId: 'c-1', persistent: true }));
      expect(transport.stats().unconfirmedPublishes).toBe(0);
      // Counted at once, not polled: a publish that resolved before the broker held the message fails here.
      expect(await harness.readyCount(transport, queue)).toBe(1);
      const [message] = await harness.drain(transport, queue);
      expect(message).toMatchObject({ exchange: '', routingKey: queue, redelivered: false });
      expect(message.properties).toMatchObject({ messageId: 'confirmed', correlationId: 'c-1', headers: { tenant: 'acme' } });
    });

    conformanceCase(harness, 'publish.unroutable', 'an unroutable mandatory publish rejects with UnroutableMessageError; a non-mandatory one resolves', async () => {
      const exchange = harness.name('ex');
      const transport = await startedTransport(harness, { exchanges: [{ name: exchange, type: 'direct' }] });
      const error = await rejectionOf(transport.publish(outbound(exchange, 'nobody', 'lost', {}, true)));
      expect(error).toBeInstanceOf(UnroutableMessageError);
      expect(error).toMatchObject({ exchange, routingKey: 'nobody' });
      await expect(transport.publish(outbound(exchange, 'nobody', 'dropped', {}, false))).resolves.toBeUndefined();
    });

    conformanceCase(harness, 'publish.missing-exchange', 'a publish to a missing exchange rejects with TopologyError, and later publishes still work', async () => {
      const queue = harness.name('q');
      const transport = await startedTransport(harness, { queues: [{ name: queue }] });
      const error = await rejectionOf(transport.publish(outbound(harness.name('missing'), 'k', 'lost', {}, false)));
      expect(error).toBeInstanceOf(TopologyError);
      await transport.publish(outbound('', queue, 'after'));
      await waitUntil(async () => (await harness.readyCount(transport, queue)) === 1, 'the later message in the queue');
    });
  });
}
