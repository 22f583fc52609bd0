import { setMaxListeners } from 'node:events';
import { DeliveryStaleError } from '../../errors/index.js';
import { brokerDeliveryCount, deliveryAttempt } from '../delivery-attempt.js';
import type { DeadLetterOutcome, DeadLetterRequest, InboundMessage, TransportDelivery } from '../transport.interface.js';
import type { AmqpChannelLike, AmqpDeliveredMessage } from './amqp-connection.types.js';
import { toMessageProperties } from './amqp-message.mapper.js';
import type { AckCoalescer, CoalescedAck } from './amqp-ack.coalescer.js';

/**
 * Whether a consumer channel is still open, as seen by its own `close` event, and the signal its
 * deliveries share: one per channel, because every delivery of a channel goes stale at the same moment.
 */
export class ChannelLiveness {
  private readonly controller = new AbortController();

  constructor(private readonly queue: string) {
    // Handlers may each listen on the shared signal; many in flight is normal, not a leak.
    setMaxListeners(0, this.controller.signal);
  }

  /** False from the channel's close event on. */
  get open(): boolean {
    return !this.controller.signal.aborted;
  }

  /** Aborts with a {@link DeliveryStaleError} when the channel closes. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The channel closed: its deliveries can no longer be settled. */
  close(): void {
    if (this.open) this.controller.abort(new DeliveryStaleError(this.queue));
  }
}

/** Dead-letters one delivery; supplied by the consumer, which knows the queue's dead-letter target. */
export type AmqpDeadLetterer = (delivery: AmqpDelivery, request: DeadLetterRequest) => Promise<DeadLetterOutcome>;

/**
 * One delivery, bound to the exact channel object that delivered it. Delivery tags are only meaningful
 * on their own channel: acking one on any other channel (say, the one opened after a reconnect) makes
 * the broker close that channel with PRECONDITION_FAILED "unknown delivery tag". So once the delivering
 * channel is gone, `ack`/`nack` do nothing and return false; the broker has requeued the message anyway.
 */
export class AmqpDelivery implements TransportDelivery {
  readonly message: InboundMessage;
  /** Which delivery of the message this is, from 1. */
  readonly attempt: number;
  /** The quorum queue's count of earlier deliveries; undefined on a classic queue (see {@link TransportDelivery.deliveryCount}). */
  readonly deliveryCount: number | undefined;
  private settled = false;
  private readonly coalesced: CoalescedAck | undefined;

  /**
   * `acks`: the channel's coalescer when acks are coalesced; without it each settle is sent at once.
   * `brokerCounts`: the queue is a quorum queue, whose broker counts deliveries (`x-delivery-count`); on a
   * classic queue that header can only come from a producer and is ignored.
   */
  constructor(
    private readonly channel: AmqpChannelLike,
    private readonly liveness: ChannelLiveness,
    private readonly raw: AmqpDeliveredMessage,
    queue: string,
    private readonly deadLetterer: AmqpDeadLetterer,
    private readonly acks?: AckCoalescer,
    brokerCounts = false,
  ) {
    this.coalesced = acks?.track(raw);
    this.message = {
      body: raw.content,
      properties: toMessageProperties(raw.properties),
      exchange: raw.fields.exchange,
      routingKey: raw.fields.routingKey,
      queue,
      redelivered: raw.fields.redelivered,
      raw,
    };
    this.attempt = deliveryAttempt(this.message.properties, raw.fields.redelivered, brokerCounts);
    this.deliveryCount = brokerDeliveryCount(this.message.properties, raw.fields.redelivered, brokerCounts);
  }

  /** Aborts when the delivering channel closes. */
  get signal(): AbortSignal {
    return this.liveness.signal;
  }

  /**
   * Acknowledges once; later calls (and calls after the channel died) return false and send nothing.
   * With coalescing the ack may leave with others at the end of the I/O turn; should the channel die
   * first, the broker requeues the message as it would for any unsettled delivery.
   */
  ack(): boolean {
    return this.settle(true, false);
  }

  /** Like {@link ack}, but always sent at once, after any acks waiting before it: never folded into a multi-ack. */
  nack(requeue: boolean): boolean {
    return this.settle(false, requeue);
  }

  /** Publishes a confirmed copy with the failure recorded to the queue's dead-letter exchange, then acks. */
  deadLetter(request: DeadLetterRequest): Promise<DeadLetterOutcome> {
    return this.deadLetterer(this, request);
  }

  // Flags rather than a callback: a closure per settle adds up at tens of thousands of messages a second.
  private settle(ack: boolean, requeue: boolean): boolean {
    if (this.settled || !this.liveness.open) return false;
    const { acks, coalesced } = this;
    try {
      if (acks && coalesced) {
        if (ack) acks.ack(coalesced);
        else acks.nack(coalesced, requeue);
      } else if (ack) this.channel.ack(this.raw);
      else this.channel.nack(this.raw, false, requeue);
    } catch {
      // amqplib throws once the channel has started closing, before its close event.
      return false;
    }
    this.settled = true;
    return true;
  }
}
