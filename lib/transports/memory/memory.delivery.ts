import { DeliveryStaleError } from '../../errors/index.js';
import { brokerDeliveryCount, deliveryAttempt } from '../delivery-attempt.js';
import type { MemoryConsumer } from './memory.consumer.js';
import type { StoredMessage } from './memory.message.js';
import type { DeadLetterOutcome, DeadLetterRequest, InboundMessage, TransportDelivery } from '../transport.interface.js';

/** How a consumer settled a delivery. */
export type SettleOutcome = 'ack' | 'requeue' | 'reject';

/** What a delivery calls back into its queue for. */
export interface MemoryDeliveryHooks {
  settle(delivery: MemoryDelivery, outcome: SettleOutcome): boolean;
  deadLetter(delivery: MemoryDelivery, request: DeadLetterRequest): Promise<DeadLetterOutcome>;
}

/**
 * One delivery's settle handles, and its entry in the queue's unacked table (one object per delivery
 * rather than two). The queue owns the entry's state: once it leaves the table (settled, or returned to
 * the queue on connection loss, close, cancel before hand-over) the handle finds nothing to settle and
 * reports `false`, never touching a later delivery of the same message, which is another object.
 */
export class MemoryDelivery implements TransportDelivery {
  /** Which delivery of the message this is, from 1. */
  readonly attempt: number;
  /** The quorum queue's count of earlier deliveries; undefined on a classic queue (see `TransportDelivery.deliveryCount`). */
  readonly deliveryCount: number | undefined;
  /** The stored message's `redelivered` flag before this delivery, restored when the handler never saw it. */
  readonly wasRedelivered: boolean;
  /** Links of the queue's unacked table; see {@link MemoryUnackedTable}. */
  unackedPrev: MemoryDelivery | undefined;
  unackedNext: MemoryDelivery | undefined;
  /** True while in the queue's unacked table: delivered and not settled or returned. */
  unacked = false;
  // Created on first use: most deliveries are settled without anyone looking at their signal.
  private controller: AbortController | undefined;
  private staleReason: DeliveryStaleError | undefined;

  constructor(
    readonly message: InboundMessage,
    /** Unique per queue for the life of the transport. */
    readonly tag: number,
    private readonly hooks: MemoryDeliveryHooks,
    /** The broker's copy it was made from (the handler owns `message`). */
    readonly stored: StoredMessage,
    /** The subscription it was assigned to. */
    readonly consumer: MemoryConsumer,
    /** The queue is a quorum queue (it counts deliveries); a classic queue's `x-delivery-count` is a producer's. */
    brokerCounts = false,
  ) {
    this.attempt = deliveryAttempt(message.properties, message.redelivered, brokerCounts);
    this.deliveryCount = brokerDeliveryCount(message.properties, message.redelivered, brokerCounts);
    this.wasRedelivered = stored.redelivered;
  }

  /** Whether the delivery was returned to its queue; reads as `signal.aborted` without creating the signal. */
  get stale(): boolean {
    return this.staleReason !== undefined;
  }

  /** Aborts once the delivery was returned to its queue (connection loss, close) and cannot be settled. */
  get signal(): AbortSignal {
    if (this.staleReason) return AbortSignal.abort(this.staleReason);
    this.controller ??= new AbortController();
    return this.controller.signal;
  }

  /** Acknowledges the delivery; `false` when it was already settled or returned to the queue. */
  ack(): boolean {
    return this.hooks.settle(this, 'ack');
  }

  /** Requeues or dead-letters the delivery; `false` when it was already settled or returned. */
  nack(requeue: boolean): boolean {
    return this.hooks.settle(this, requeue ? 'requeue' : 'reject');
  }

  /** Publishes a copy with the failure recorded to the queue's dead-letter exchange, then acks. */
  deadLetter(request: DeadLetterRequest): Promise<DeadLetterOutcome> {
    return this.hooks.deadLetter(this, request);
  }

  /** Called by the queue when the delivery returns to it unsettled. */
  markStale(): void {
    if (this.staleReason) return;
    this.staleReason = new DeliveryStaleError(this.message.queue, this.message.properties.messageId);
    this.controller?.abort(this.staleReason);
  }
}
