import { randomUUID } from 'node:crypto';
import { setImmediate as realSetImmediate } from 'node:timers';
import { RequestInterruptedError } from '../../errors/index.js';
import { describeDestination, PendingRequestTable } from '../pending-request.table.js';
import { assertTransportOwnsReplyFields } from '../request-message.check.js';
import { DIRECT_REPLY_TO, type InboundMessage, type OutboundMessage, type RequestOptions } from '../transport.interface.js';

/**
 * Direct reply-to for the in-memory broker, with RabbitMQ's semantics: the transport's reply address is
 * `amq.rabbitmq.reply-to.<opaque>` and lives as long as its "connection"; a simulated connection loss
 * (or close) fails the requests in flight at once and gives the transport a new address, so a late reply
 * to the old one is dropped, as the broker drops a reply to a channel that is gone.
 */
export class MemoryReplyRouter {
  private readonly table = new PendingRequestTable();
  private address = MemoryReplyRouter.newAddress();

  private static newAddress(): string {
    return `${DIRECT_REPLY_TO}.${randomUUID()}`;
  }

  /** Requests waiting for a reply. */
  get inFlight(): number {
    return this.table.size;
  }

  /** Whether a publish is addressed to a reply address (of this or an older connection). */
  static isReply(message: OutboundMessage): boolean {
    return message.exchange === '' && message.routingKey.startsWith(`${DIRECT_REPLY_TO}.`);
  }

  /**
   * Publishes the request with this connection's reply address and waits for the reply.
   * @throws InvalidOptionsError when the caller set `correlationId` or `replyTo` (nothing is published).
   */
  request(message: OutboundMessage, options: RequestOptions, publish: (message: OutboundMessage) => Promise<void>): Promise<InboundMessage> {
    assertTransportOwnsReplyFields(message);
    const correlationId = randomUUID();
    const reply = this.table.add(correlationId, describeDestination(message), options.timeoutMs);
    const request: OutboundMessage = { ...message, mandatory: true, properties: { ...message.properties, replyTo: this.address, correlationId } };
    publish(request).catch((error: unknown) => this.table.reject(correlationId, error instanceof Error ? error : new Error(String(error))));
    return reply;
  }

  /**
   * Takes a reply; it reaches its request on a later macrotask, as a delivery would. A reply to an
   * address that is gone, or to a request that timed out, is dropped.
   */
  deliver(message: OutboundMessage): void {
    if (message.routingKey !== this.address) return;
    const address = this.address;
    const inbound: InboundMessage = {
      body: Buffer.from(message.body),
      properties: { ...message.properties, headers: message.properties.headers ? { ...message.properties.headers } : undefined },
      exchange: '',
      routingKey: message.routingKey,
      queue: address,
      redelivered: false,
      raw: undefined,
    };
    realSetImmediate(() => {
      // The connection may have been lost between the publish and this turn.
      if (address === this.address) this.table.resolve(inbound.properties.correlationId, inbound);
    });
  }

  /** The connection went: every request in flight fails now, and later ones get a new address. */
  connectionLost(reason: string): void {
    this.address = MemoryReplyRouter.newAddress();
    this.table.failAll((destination) => new RequestInterruptedError(destination, reason));
  }
}
