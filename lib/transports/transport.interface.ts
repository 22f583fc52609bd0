import type { TopologyDefinition } from '../topology/index.js';

/** Header and property values a transport can carry (AMQP field-table compatible). */
export type HeaderValue = string | number | boolean | null | undefined | Date | Buffer | HeaderValue[] | { [key: string]: HeaderValue };

/** Message properties, named after their AMQP 0-9-1 counterparts. */
export interface MessageProperties {
  messageId?: string;
  correlationId?: string;
  replyTo?: string;
  contentType?: string;
  contentEncoding?: string;
  /** Message type name; this library sets it to the contract name. */
  type?: string;
  /** Seconds since the epoch, as AMQP clients conventionally use. */
  timestamp?: number;
  appId?: string;
  userId?: string;
  /** Per-message TTL in milliseconds. */
  expiration?: number;
  priority?: number;
  /** Delivery mode 2: written to disk by durable queues. */
  persistent?: boolean;
  headers?: Record<string, HeaderValue>;
}

/** A message handed to {@link MessagingTransport.publish}. */
export interface OutboundMessage {
  exchange: string;
  routingKey: string;
  body: Buffer;
  properties: MessageProperties;
  /**
   * When true, a message no queue receives must reject the publish with
   * `UnroutableMessageError` instead of vanishing.
   */
  mandatory: boolean;
  /** Messages with the same ordering key go out on one channel, in order; default exchange + routing key. */
  orderingKey?: string;
}

/** A message as delivered to a consumer. */
export interface InboundMessage {
  readonly body: Buffer;
  readonly properties: MessageProperties;
  /** Exchange the message was published to (`''` for the default exchange). */
  readonly exchange: string;
  readonly routingKey: string;
  /** The queue it was consumed from. */
  readonly queue: string;
  /** True when the broker has delivered this message before (it was requeued or a channel died). */
  readonly redelivered: boolean;
  /** The transport's own message object (amqplib's `ConsumeMessage` on AMQP), for escape hatches. */
  readonly raw: unknown;
}

/**
 * One delivery and the only handles that may settle it. A transport guarantees `ack`/`nack` act on the
 * exact channel that delivered the message: if that channel is gone they do nothing and return `false`,
 * because the broker has already requeued the message and will deliver it again.
 */
export interface TransportDelivery {
  readonly message: InboundMessage;
  /**
   * Acknowledge: the broker forgets the message. Returns false, sending nothing, when the delivering
   * channel is gone or the delivery was already settled.
   */
  ack(): boolean;
  /**
   * Negative acknowledge. `requeue: true` puts it back in the queue; `false` dead-letters it through the
   * queue's dead-letter exchange (or discards it when the queue has none). Returns false, sending
   * nothing, when the delivering channel is gone or the delivery was already settled.
   */
  nack(requeue: boolean): boolean;
}

/** What to consume and how much to let in at once. */
export interface ConsumeOptions {
  readonly queue: string;
  /** Maximum unacknowledged deliveries outstanding on this consumer (the SDK always passes at least 1). */
  readonly prefetch: number;
  /** A name for logs and consumer tags. */
  readonly consumerName: string;
}

/** Receives deliveries. It must not throw; errors are the dispatcher's to handle and settle. */
export type DeliveryHandler = (delivery: TransportDelivery) => void;

/** A running consumer. */
export interface TransportSubscription {
  /**
   * Stops new deliveries. Deliveries already handed out stay valid and can still be settled, which is
   * what lets a graceful shutdown finish in-flight work before closing.
   */
  cancel(): Promise<void>;
}

/**
 * The contract between the messaging module and a broker. Implement it to add a transport: the module
 * only ever talks to a broker through these four calls, and decoding, validation, dead-lettering with a
 * recorded reason, concurrency and shutdown draining all happen above it, identically for every transport.
 *
 * Semantics a transport must provide:
 * - `start` asserts the topology and must assert it again on every reconnect, before consumers resume.
 * - `publish` resolves only once the broker has taken responsibility for the message (publisher confirm),
 *   rejects with `UnroutableMessageError` for an unroutable mandatory message, and never buffers without bound.
 * - `consume` survives reconnects: the subscription keeps delivering after the connection comes back.
 * - `close` waits for outstanding publishes to settle (bounded by a timeout) and releases every resource.
 */
export interface MessagingTransport {
  /** Short name for logs, e.g. `amqp` or `memory`. */
  readonly kind: string;
  start(topology: TopologyDefinition): Promise<void>;
  publish(message: OutboundMessage): Promise<void>;
  consume(options: ConsumeOptions, handler: DeliveryHandler): Promise<TransportSubscription>;
  close(): Promise<void>;
}
