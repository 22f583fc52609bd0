import { afterEach, describe, expect } from '@jest/globals';
import { PublishNackedError, UnroutableMessageError } from '../../lib/errors/index.js';
import type { HeaderValue, MessagingTransport } from '../../lib/transports/transport.interface.js';
import type { TransportHarness } from './conformance.harness.js';
import { conformanceCase, drainAtLeast, outbound, publishInOrder, rejectionOf, startedTransport } from './conformance.helpers.js';

/** Bodies of a queue's ready messages, oldest first (removing them). */
async function bodiesOf(harness: TransportHarness, transport: MessagingTransport, queue: string): Promise<string[]> {
  return (await harness.drain(transport, queue)).map((message) => message.body.toString());
}

/**
 * Routing and length limits the memory transport emulates, held against the broker it emulates: topic
 * wildcards, headers matching, alternate exchanges, exchange-to-exchange bindings, `maxLengthBytes` and
 * `reject-publish-dlx`. Each rule states what RabbitMQ 3.10 does; the memory transport must do the same.
 */
export function describeRoutingConformance(harness: TransportHarness): void {
  describe('routing and length limits', () => {
    afterEach(() => harness.cleanup());

    conformanceCase(harness, 'routing.topic-wildcards', 'topic exchange: * matches exactly one word, # zero or more', async () => {
      const exchange = harness.name('topic');
      const [star, hash, middle, all] = ['star', 'hash', 'middle', 'all'].map((prefix) => harness.name(prefix)) as [string, string, string, string];
      const transport = await startedTransport(harness, {
        exchanges: [{ name: exchange, type: 'topic' }],
        queues: [star, hash, middle, all].map((name) => ({ name })),
        bindings: [
          { exchange, queue: star, routingKey: 'a.*' },
          { exchange, queue: hash, routingKey: 'a.#' },
          { exchange, queue: middle, routingKey: 'a.*.c' },
          { exchange, queue: all, routingKey: '#' },
        ],
      });
      for (const key of ['a', 'a.b', 'a.b.c', 'a.b.b.c', 'b.a']) await transport.publish(outbound(exchange, key, key));
      expect(await bodiesOf(harness, transport, star)).toEqual(['a.b']);
      expect(await bodiesOf(harness, transport, hash)).toEqual(['a', 'a.b', 'a.b.c', 'a.b.b.c']);
      expect(await bodiesOf(harness, transport, middle)).toEqual(['a.b.c']);
      expect(await bodiesOf(harness, transport, all)).toEqual(['a', 'a.b', 'a.b.c', 'a.b.b.c', 'b.a']);
    });

    conformanceCase(harness, 'routing.headers-match', 'headers exchange: x-match all needs every header, any one of them; the routing key is ignored', async () => {
      const exchange = harness.name('headers');
      const [allQueue, anyQueue] = [harness.name('all'), harness.name('any')];
      const transport = await startedTransport(harness, {
        exchanges: [{ name: exchange, type: 'headers' }],
        queues: [{ name: allQueue }, { name: anyQueue }],
        bindings: [
          { exchange, queue: allQueue, arguments: { 'x-match': 'all', format: 'pdf', kind: 'report' } },
          { exchange, queue: anyQueue, arguments: { 'x-match': 'any', format: 'pdf', kind: 'report' } },
        ],
      });
      const send = (body: string, headers: Record<string, HeaderValue>): Promise<void> => transport.publish(outbound(exchange, 'ignored', body, { headers }));
      await send('both', { format: 'pdf', kind: 'report' });
      await send('format-only', { format: 'pdf', kind: 'invoice' });
      await send('kind-only', { kind: 'report' });
      expect(await rejectionOf(send('neither', { format: 'csv' }))).toBeInstanceOf(UnroutableMessageError);
      expect(await bodiesOf(harness, transport, allQueue)).toEqual(['both']);
      expect(await bodiesOf(harness, transport, anyQueue)).toEqual(['both', 'format-only', 'kind-only']);
    });

    conformanceCase(harness, 'routing.alternate-exchange', 'alternate exchange: what the exchange cannot route goes there, and a mandatory publish is not returned', async () => {
      const exchange = harness.name('main');
      const alternate = harness.name('ae');
      const [queue, parked] = [harness.name('q'), harness.name('parked')];
      const transport = await startedTransport(harness, {
        exchanges: [
          { name: alternate, type: 'fanout' },
          { name: exchange, type: 'direct', alternateExchange: alternate },
        ],
        queues: [{ name: queue }, { name: parked }],
        bindings: [
          { exchange, queue, routingKey: 'known' },
          { exchange: alternate, queue: parked },
        ],
      });
      await transport.publish(outbound(exchange, 'known', 'routed'));
      await transport.publish(outbound(exchange, 'unknown', 'alternate'));
      expect(await bodiesOf(harness, transport, queue)).toEqual(['routed']);
      expect(await bodiesOf(harness, transport, parked)).toEqual(['alternate']);
    });

    conformanceCase(harness, 'routing.exchange-to-exchange', 'exchange-to-exchange binding: the destination routes by its own type and bindings', async () => {
      const source = harness.name('source');
      const destination = harness.name('destination');
      const queue = harness.name('q');
      const transport = await startedTransport(harness, {
        exchanges: [
          { name: source, type: 'direct' },
          { name: destination, type: 'topic' },
        ],
        queues: [{ name: queue }],
        bindings: [
          { exchange: source, toExchange: destination, routingKey: 'orders.created' },
          { exchange: destination, queue, routingKey: 'orders.*' },
        ],
      });
      await transport.publish(outbound(source, 'orders.created', 'through'));
      expect(await rejectionOf(transport.publish(outbound(source, 'orders.cancelled', 'no-binding')))).toBeInstanceOf(UnroutableMessageError);
      expect(await bodiesOf(harness, transport, queue)).toEqual(['through']);
    });

    conformanceCase(harness, 'overflow.max-length-bytes', 'maxLengthBytes with drop-head counts body bytes and drops (dead-letters) the oldest', async () => {
      const [queue, dlq, dlx] = [harness.name('bytes'), harness.name('dlq'), harness.name('dlx')];
      const transport = await startedTransport(harness, {
        exchanges: [{ name: dlx, type: 'fanout' }],
        queues: [{ name: queue, maxLengthBytes: 25, overflow: 'drop-head', deadLetterExchange: dlx }, { name: dlq }],
        bindings: [{ exchange: dlx, queue: dlq }],
      });
      // 10 bytes each: the third takes the total to 30 > 25, so the oldest goes.
      await publishInOrder(transport, '', queue, ['0123456789', 'abcdefghij', 'ABCDEFGHIJ']);
      const [dead] = await drainAtLeast(harness, transport, dlq, 1);
      expect(dead.body.toString()).toBe('0123456789');
      expect((dead.properties.headers?.['x-death'] as Array<Record<string, HeaderValue>>)[0]).toMatchObject({ reason: 'maxlen', queue });
      expect(await bodiesOf(harness, transport, queue)).toEqual(['abcdefghij', 'ABCDEFGHIJ']);
    });

    conformanceCase(harness, 'overflow.reject-publish-dlx', 'reject-publish-dlx refuses the new message (PublishNackedError) and dead-letters it (reason maxlen)', async () => {
      const [queue, dlq, dlx] = [harness.name('rpdlx'), harness.name('dlq'), harness.name('dlx')];
      const transport = await startedTransport(harness, {
        exchanges: [{ name: dlx, type: 'fanout' }],
        queues: [{ name: queue, maxLength: 1, overflow: 'reject-publish-dlx', deadLetterExchange: dlx }, { name: dlq }],
        bindings: [{ exchange: dlx, queue: dlq }],
      });
      await publishInOrder(transport, '', queue, ['first']);
      expect(await rejectionOf(transport.publish(outbound('', queue, 'refused')))).toBeInstanceOf(PublishNackedError);
      const [dead] = await drainAtLeast(harness, transport, dlq, 1);
      expect(dead.body.toString()).toBe('refused');
      expect((dead.properties.headers?.['x-death'] as Array<Record<string, HeaderValue>>)[0]).toMatchObject({ reason: 'maxlen', queue });
      expect(await bodiesOf(harness, transport, queue)).toEqual(['first']);
    });
  });
}
