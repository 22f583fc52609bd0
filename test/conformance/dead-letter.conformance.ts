import { afterEach, describe, expect } from '@jest/globals';
import { PublishNackedError } from '../../lib/errors/index.js';
import type { QueueDefinition } from '../../lib/topology/index.js';
import type { DeadLetterOutcome, HeaderValue } from '../../lib/transports/transport.interface.js';
import type { TransportHarness } from './conformance.harness.js';
import { collect, conformanceCase, drainAtLeast, outbound, publishInOrder, rejectionOf, sleep, startedTransport, waitUntil } from './conformance.helpers.js';

const failure = { headers: { 'x-failure-kind': 'handler', 'x-failure-reason': 'boom' }, summary: 'conformance: handler failed' } as const;

/** A work queue whose dead-letter exchange (fanout) feeds a DLQ, under fresh names. */
function deadLetterTopology(harness: TransportHarness, work: { bindDlq?: boolean; withDlx?: boolean; messageTtl?: number; maxLength?: number; overflow?: 'drop-head' | 'reject-publish' } = {}) {
  const dlx = harness.name('dlx');
  const queue = harness.name('work');
  const dlq = harness.name('dlq');
  const workQueue: QueueDefinition = Object.fromEntries(
    Object.entries({
      name: queue,
      deadLetterExchange: work.withDlx === false ? undefined : dlx,
      // A DLX routing nowhere is refused at start unless the queue says it is bound elsewhere.
      deadLetterRoutedElsewhere: work.bindDlq === false ? true : undefined,
      messageTtl: work.messageTtl,
      maxLength: work.maxLength,
      overflow: work.overflow,
    }).filter(([, value]) => value !== undefined),
  ) as unknown as QueueDefinition;
  const topology = {
    exchanges: [{ name: dlx, type: 'fanout' as const }],
    queues: [workQueue, { name: dlq }],
    bindings: work.bindDlq === false ? [] : [{ exchange: dlx, queue: dlq }],
  };
  return { dlx, queue, dlq, topology };
}

/** `TransportDelivery.deadLetter` outcomes, expiry and overflow: how messages leave a queue on failure. */
export function describeDeadLetterConformance(harness: TransportHarness): void {
  describe('dead-lettering', () => {
    afterEach(() => harness.cleanup());

    conformanceCase(harness, 'dead-letter.dead-lettered', "deadLetter(request) copies the message to the DLQ with the request's headers, then removes the original", async () => {
      const { queue, dlq, topology } = deadLetterTopology(harness);
      const transport = await startedTransport(harness, topology);
      const outcomes: Promise<DeadLetterOutcome>[] = [];
      const received = await collect(transport, queue, { settle: (d) => outcomes.push(d.deadLetter(failure)) });
      await transport.publish(outbound('', queue, 'failed', { expiration: 60_000, headers: { keep: 'me', 'x-failure-kind': 'stale value' } }));
      await waitUntil(() => outcomes.length === 1, 'the delivery');
      expect(await outcomes[0]).toBe('dead-lettered');
      const [copy] = await drainAtLeast(harness, transport, dlq, 1);
      expect(copy.body.toString()).toBe('failed');
      expect(copy.properties.messageId).toBe('failed');
      expect(copy.properties.expiration).toBeUndefined();
      expect(copy.properties.headers).toMatchObject({ keep: 'me', 'x-failure-kind': 'handler', 'x-failure-reason': 'boom' });
      expect(received.deliveries[0].ack()).toBe(false);
      await sleep(harness.quietMs);
      expect(received.deliveries).toHaveLength(1);
      // Counted after closing: an original left unacked would be back in the queue.
      expect(await harness.countAfterClose(transport, queue)).toBe(0);
    });

    conformanceCase(harness, 'dead-letter.discarded', "deadLetter(request) on a queue without a dead-letter exchange discards the message", async () => {
      const { queue, topology } = deadLetterTopology(harness, { withDlx: false });
      const transport = await startedTransport(harness, topology);
      const outcomes: Promise<DeadLetterOutcome>[] = [];
      const received = await collect(transport, queue, { settle: (d) => outcomes.push(d.deadLetter(failure)) });
      await publishInOrder(transport, '', queue, ['dropped']);
      await waitUntil(() => outcomes.length === 1, 'the delivery');
      expect(await outcomes[0]).toBe('discarded');
      await sleep(harness.quietMs);
      expect(received.deliveries).toHaveLength(1);
      // Counted after closing: an original left unacked would be back in the queue.
      expect(await harness.countAfterClose(transport, queue)).toBe(0);
    });

    conformanceCase(harness, 'dead-letter.requeued', "deadLetter(request) whose dead-letter exchange routes nowhere requeues the original", async () => {
      const { queue, dlq, topology } = deadLetterTopology(harness, { bindDlq: false });
      const transport = await startedTransport(harness, topology);
      const outcomes: Promise<DeadLetterOutcome>[] = [];
      const received = await collect(transport, queue, { settle: (d, i) => (i === 0 ? outcomes.push(d.deadLetter(failure)) : d.ack()) });
      await publishInOrder(transport, '', queue, ['kept']);
      await waitUntil(() => outcomes.length === 1, 'the delivery');
      expect(await outcomes[0]).toBe('requeued');
      await waitUntil(() => received.deliveries.length === 2, 'the requeued message delivered again');
      expect(received.deliveries[1].message).toMatchObject({ redelivered: true });
      expect(received.bodies()).toEqual(['kept', 'kept']);
      expect(await harness.readyCount(transport, dlq)).toBe(0);
      // The requeued original, delivered again, was acked: nothing is back once the transport closed.
      expect(await harness.countAfterClose(transport, queue)).toBe(0);
    });

    conformanceCase(harness, 'expiry.message-ttl', 'a message past the queue TTL is dead-lettered with reason expired', async () => {
      const { queue, dlq, topology } = deadLetterTopology(harness, { messageTtl: 30 });
      const transport = await startedTransport(harness, topology);
      await publishInOrder(transport, '', queue, ['stale']);
      const [dead] = await drainAtLeast(harness, transport, dlq, 1);
      expect(dead.body.toString()).toBe('stale');
      const deaths = dead.properties.headers?.['x-death'] as Array<Record<string, HeaderValue>>;
      expect(deaths[0]).toMatchObject({ reason: 'expired', queue, count: 1 });
      // A queue TTL is not a message property: nothing to keep as original-expiration.
      expect(deaths[0]['original-expiration']).toBeUndefined();
      expect(await harness.readyCount(transport, queue)).toBe(0);
    });

    conformanceCase(harness, 'overflow.drop-head', 'maxLength with drop-head dead-letters the oldest message (reason maxlen)', async () => {
      const { queue, dlq, topology } = deadLetterTopology(harness, { maxLength: 2, overflow: 'drop-head' });
      const transport = await startedTransport(harness, topology);
      await publishInOrder(transport, '', queue, ['o1', 'o2', 'o3']);
      const [dead] = await drainAtLeast(harness, transport, dlq, 1);
      expect(dead.body.toString()).toBe('o1');
      expect((dead.properties.headers?.['x-death'] as Array<Record<string, HeaderValue>>)[0]).toMatchObject({ reason: 'maxlen', queue });
      expect((await harness.drain(transport, queue)).map((m) => m.body.toString())).toEqual(['o2', 'o3']);
    });

    conformanceCase(harness, 'overflow.reject-publish', 'maxLength with reject-publish refuses the publish (PublishNackedError) and keeps the queue', async () => {
      const { queue, dlq, topology } = deadLetterTopology(harness, { maxLength: 1, overflow: 'reject-publish' });
      const transport = await startedTransport(harness, topology);
      await publishInOrder(transport, '', queue, ['first']);
      expect(await rejectionOf(transport.publish(outbound('', queue, 'refused')))).toBeInstanceOf(PublishNackedError);
      expect((await harness.drain(transport, queue)).map((m) => m.body.toString())).toEqual(['first']);
      expect(await harness.readyCount(transport, dlq)).toBe(0);
    });
  });
}
