import type { InboundMessage, TransportDelivery } from '../transports/transport.interface.js';

/**
 * Counts how often a message has been delivered, to catch poison messages: ones that crash or hang
 * their consumer, or that a handler requeues every time, so they come back again and again without ever
 * being settled for good. Quorum queues count deliveries themselves (the transport's
 * `TransportDelivery.deliveryCount`, never a producer's header); for a classic queue, which only says
 * "redelivered", this process counts the redeliveries it sees, by queue and message id (bounded: least
 * recently seen forgotten first). A requeue keeps the count; only a final settlement (ack, dead-letter,
 * delayed retry, reject) forgets it. A classic-queue count therefore does not survive a restart of the
 * process, nor reach another instance, and a message without a `messageId` cannot be told apart (each
 * of its redeliveries counts as the second): use quorum queues where a message may crash the whole process.
 */
export class RedeliveryTracker {
  private readonly counts = new Map<string, number>();

  constructor(private readonly maxEntries = 10_000) {}

  /** Deliveries of this message so far, this one included. */
  deliveries(delivery: TransportDelivery): number {
    if (delivery.deliveryCount !== undefined) return delivery.deliveryCount + 1;
    const { message } = delivery;
    if (!message.redelivered) return 1;
    const key = this.key(message);
    if (key === undefined) return 2;
    const count = (this.counts.get(key) ?? 1) + 1;
    this.counts.delete(key);
    this.counts.set(key, count);
    if (this.counts.size > this.maxEntries) {
      const oldest = this.counts.keys().next();
      if (!oldest.done) this.counts.delete(oldest.value);
    }
    return count;
  }

  /** The message was settled for good: stop counting it. */
  forget(message: InboundMessage): void {
    const key = this.key(message);
    if (key !== undefined) this.counts.delete(key);
  }

  private key(message: InboundMessage): string | undefined {
    const id = message.properties.messageId;
    return id === undefined ? undefined : `${message.queue}\u0000${id}`;
  }
}
