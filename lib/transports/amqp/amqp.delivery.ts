import type { InboundMessage, TransportDelivery } from '../transport.interface.js';
import type { AmqpChannelLike, AmqpDeliveredMessage } from './amqp-connection.types.js';
import { toMessageProperties } from './amqp-message.mapper.js';

/** Whether a channel is still open, as seen by its own `close` event. */
export interface ChannelLiveness {
  readonly open: boolean;
}

/**
 * One delivery, bound to the exact channel object that delivered it. Delivery tags are only meaningful
 * on their own channel: acking one on any other channel (say, the one opened after a reconnect) makes
 * the broker close that channel with PRECONDITION_FAILED "unknown delivery tag". So once the delivering
 * channel is gone, `ack`/`nack` do nothing and return false; the broker has requeued the message anyway.
 */
export class AmqpDelivery implements TransportDelivery {
  readonly message: InboundMessage;
  private settled = false;

  constructor(
    private readonly channel: AmqpChannelLike,
    private readonly liveness: ChannelLiveness,
    private readonly raw: AmqpDeliveredMessage,
    queue: string,
  ) {
    this.message = {
      body: raw.content,
      properties: toMessageProperties(raw.properties),
      exchange: raw.fields.exchange,
      routingKey: raw.fields.routingKey,
      queue,
      redelivered: raw.fields.redelivered,
      raw,
    };
  }

  /** Acknowledges once; later calls (and calls after the channel died) return false and send nothing. */
  ack(): boolean {
    return this.settle(() => this.channel.ack(this.raw));
  }

  /** Like {@link ack}: a second settlement would be an unknown delivery tag to the broker. */
  nack(requeue: boolean): boolean {
    return this.settle(() => this.channel.nack(this.raw, false, requeue));
  }

  private settle(send: () => void): boolean {
    if (this.settled || !this.liveness.open) return false;
    try {
      send();
    } catch {
      // amqplib throws once the channel has started closing, before its close event.
      return false;
    }
    this.settled = true;
    return true;
  }
}
