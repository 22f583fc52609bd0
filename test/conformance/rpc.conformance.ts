import { afterEach, describe, expect } from '@jest/globals';
import { InvalidOptionsError, RequestInterruptedError, RequestTimeoutError, UnroutableMessageError } from '../../lib/errors/index.js';
import {
  DIRECT_REPLY_TO,
  supportsRequestReply,
  type MessagingTransport,
  type RequestReply,
  type TransportDelivery,
} from '../../lib/transports/transport.interface.js';
import type { TransportHarness } from './conformance.harness.js';
import { collect, conformanceCase, outbound, rejectionOf, sleep, startedTransport, waitUntil } from './conformance.helpers.js';

type RpcTransport = MessagingTransport & RequestReply;

function rpc(transport: MessagingTransport): RpcTransport {
  if (!supportsRequestReply(transport)) throw new Error(`the ${transport.kind} transport does not implement request/reply`);
  return transport;
}

/** Answers every request on `queue` with its body upper-cased, unless `hold` says to keep it unanswered. */
async function upperCaseResponder(transport: RpcTransport, queue: string, hold: (delivery: TransportDelivery) => boolean = () => false) {
  return collect(transport, queue, {
    settle: (delivery) => {
      if (hold(delivery)) return;
      const body = Buffer.from(delivery.message.body.toString().toUpperCase());
      void transport.reply(delivery.message, { body, properties: { headers: { answered: 'yes' } } }).then(() => delivery.ack());
    },
  });
}

/** Request/reply over reply addresses tied to the requester's connection (RabbitMQ direct reply-to). */
export function describeRpcConformance(harness: TransportHarness): void {
  describe('request/reply', () => {
    afterEach(() => harness.cleanup());

    conformanceCase(harness, 'rpc.round-trip', 'a request carries a direct reply-to address and a correlation id; the reply comes back with that id', async () => {
      const queue = harness.name('rpc');
      const transport = rpc(await startedTransport(harness, { queues: [{ name: queue }] }));
      const responder = await upperCaseResponder(transport, queue);
      const reply = await transport.request(outbound('', queue, 'ping'), { timeoutMs: 5000 });
      expect(reply.body.toString()).toBe('PING');
      expect(reply.properties.headers).toMatchObject({ answered: 'yes' });
      const request = responder.deliveries[0].message;
      expect(request.properties.replyTo?.startsWith(`${DIRECT_REPLY_TO}.`)).toBe(true);
      expect(request.properties.correlationId).toBeDefined();
      expect(reply.properties.correlationId).toBe(request.properties.correlationId);
    });

    conformanceCase(harness, 'rpc.caller-correlation', 'a request carrying its own correlationId or replyTo is rejected with InvalidOptionsError, and nothing is sent', async () => {
      const queue = harness.name('rpc');
      const transport = rpc(await startedTransport(harness, { queues: [{ name: queue }] }));
      const responder = await upperCaseResponder(transport, queue);
      const correlated = await rejectionOf(transport.request(outbound('', queue, 'mine', { correlationId: 'caller-set' }), { timeoutMs: 5000 }));
      expect(correlated).toBeInstanceOf(InvalidOptionsError);
      expect((correlated as Error).message).toContain('caller-set');
      const addressed = await rejectionOf(transport.request(outbound('', queue, 'elsewhere', { replyTo: 'my.replies' }), { timeoutMs: 5000 }));
      expect(addressed).toBeInstanceOf(InvalidOptionsError);
      // A request sent after them is the first the responder sees.
      await expect(transport.request(outbound('', queue, 'next'), { timeoutMs: 5000 })).resolves.toMatchObject({ body: Buffer.from('NEXT') });
      expect(responder.deliveries.map((delivery) => delivery.message.body.toString())).toEqual(['next']);
    });

    conformanceCase(harness, 'rpc.concurrent', '50 concurrent requests each get their own reply', async () => {
      const queue = harness.name('rpc');
      const transport = rpc(await startedTransport(harness, { queues: [{ name: queue }] }));
      await upperCaseResponder(transport, queue);
      const bodies = Array.from({ length: 50 }, (_, i) => `r${i}`);
      const replies = await Promise.all(bodies.map((body) => transport.request(outbound('', queue, body), { timeoutMs: 10_000 })));
      expect(replies.map((reply) => reply.body.toString())).toEqual(bodies.map((body) => body.toUpperCase()));
    });

    conformanceCase(harness, 'rpc.timeout', 'no reply within timeoutMs rejects with RequestTimeoutError; a late reply is dropped and the next request works', async () => {
      const queue = harness.name('rpc');
      const transport = rpc(await startedTransport(harness, { queues: [{ name: queue }] }));
      const responder = await upperCaseResponder(transport, queue, (delivery) => delivery.message.body.toString() === 'slow');
      const started = Date.now();
      const error = await rejectionOf(transport.request(outbound('', queue, 'slow'), { timeoutMs: 300 }));
      expect(error).toBeInstanceOf(RequestTimeoutError);
      expect(Date.now() - started).toBeLessThan(3000);
      const [late] = responder.deliveries;
      await expect(transport.reply(late.message, { body: Buffer.from('late'), properties: {} })).resolves.toBeUndefined();
      late.ack();
      const next = await transport.request(outbound('', queue, 'fast'), { timeoutMs: 5000 });
      expect(next.body.toString()).toBe('FAST');
    });

    conformanceCase(harness, 'rpc.unroutable', 'a request no queue receives rejects at once with UnroutableMessageError, not a timeout', async () => {
      const exchange = harness.name('ex');
      const transport = rpc(await startedTransport(harness, { exchanges: [{ name: exchange, type: 'direct' }] }));
      const started = Date.now();
      const error = await rejectionOf(transport.request(outbound(exchange, 'nobody', 'lost'), { timeoutMs: 10_000 }));
      expect(error).toBeInstanceOf(UnroutableMessageError);
      expect(Date.now() - started).toBeLessThan(5000);
    });

    conformanceCase(harness, 'rpc.connection-loss', 'a connection loss fails requests in flight at once with RequestInterruptedError; a reply to the old address is dropped; later requests work', async () => {
      const queue = harness.name('rpc');
      const transport = rpc(await startedTransport(harness, { queues: [{ name: queue }] }));
      const responder = await upperCaseResponder(transport, queue, (delivery) => delivery.message.body.toString().startsWith('held'));
      const inFlight = [transport.request(outbound('', queue, 'held-1'), { timeoutMs: 30_000 }), transport.request(outbound('', queue, 'held-2'), { timeoutMs: 30_000 })];
      const outcomes = inFlight.map((request) => rejectionOf(request));
      await waitUntil(() => responder.deliveries.length >= 2, 'both requests delivered');
      const oldRequest = responder.deliveries[0].message;
      // Timed from the end of the close: on RabbitMQ the harness closes through rabbitmqctl, whose own
      // start-up took 11-16 s on the loaded shared broker (the 30 s timeout is what "at once" rules out).
      await harness.loseConnection(transport);
      const closed = Date.now();
      for (const outcome of outcomes) expect(await outcome).toBeInstanceOf(RequestInterruptedError);
      expect(Date.now() - closed).toBeLessThan(10_000);
      // Answering the old address (after the reconnect) must neither fail nor reach anyone.
      await waitUntil(() => transport.stats().connected, 'the reconnect', 20_000);
      await waitUntil(async () => {
        try {
          await transport.reply(oldRequest, { body: Buffer.from('too late'), properties: {} });
          return true;
        } catch {
          return false;
        }
      }, 'a reply to the old address to be accepted', 20_000);
      const after = await transport.request(outbound('', queue, 'after'), { timeoutMs: 20_000 });
      expect(after.body.toString()).toBe('AFTER');
      await sleep(harness.quietMs);
    });
  });
}
