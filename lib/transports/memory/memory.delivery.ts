import type { InboundMessage, TransportDelivery } from '../transport.interface.js';

/** How a consumer settled a delivery. */
export type SettleOutcome = 'ack' | 'requeue' | 'reject';

/**
 * One delivery's settle handles. The queue owns the delivery's state; the handle only names it by tag,
 * so a handle whose delivery was returned to the queue (connection loss, close, cancel before hand-over)
 * finds nothing to settle and reports `false`, never touching a later delivery of the same message.
 */
export class MemoryDelivery implements TransportDelivery {
  constructor(
    readonly message: InboundMessage,
    /** Unique per queue for the life of the transport. */
    readonly tag: number,
    private readonly settle: (tag: number, outcome: SettleOutcome) => boolean,
  ) {}

  /** Acknowledges the delivery; `false` when it was already settled or returned to the queue. */
  ack(): boolean {
    return this.settle(this.tag, 'ack');
  }

  /** Requeues (to the head) or dead-letters the delivery; `false` when it was already settled or returned. */
  nack(requeue: boolean): boolean {
    return this.settle(this.tag, requeue ? 'requeue' : 'reject');
  }
}
