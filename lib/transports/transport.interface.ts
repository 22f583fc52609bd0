import type { TopologyDefinition } from '../topology/index.js';
import type { QueueReader, QueueStatus, ReplyMessage, RequestOptions } from './transport-optional.interface.js';
import type { TransportEvents } from './transport.events.js';

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
  /**
   * Messages with the same ordering key go out in order. Default: exchange + routing key, so one
   * producer's sends to one destination keep their order.
   */
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
 * How a failed message is to be dead-lettered. The core builds the failure headers (`x-failure-*`), which
 * mean the same on every broker; the transport decides how the copy reaches the dead-letter destination.
 */
export interface DeadLetterRequest {
  /** Headers recording the failure, merged over the message's own headers on the dead-lettered copy. */
  readonly headers: Readonly<Record<string, HeaderValue>>;
  /** One line describing the failure, for the transport's logs. */
  readonly summary: string;
}

/**
 * Where a dead-letter request left the message:
 * - `dead-lettered`: a copy with the failure recorded reached the dead-letter destination and the
 *   original was acknowledged;
 * - `discarded`: the queue has no dead-letter destination, so the message was dropped (and logged);
 * - `requeued`: the copy could not be delivered (unroutable, refused, broker unreachable), so the original
 *   went back to its queue after a backoff: a failure is never lost because dead-lettering failed;
 * - `stale`: the delivery went stale first; the broker delivers it again, nothing was published.
 */
export type DeadLetterOutcome = 'dead-lettered' | 'discarded' | 'requeued' | 'stale';

/**
 * One delivery and the only handles that may settle it. A transport guarantees `ack`/`nack` act on the
 * exact channel that delivered the message: if that channel is gone they do nothing and return `false`,
 * because the broker has already requeued the message and will deliver it again.
 */
export interface TransportDelivery {
  readonly message: InboundMessage;
  /**
   * Which delivery of this message this is, from 1: the broker's own count where it keeps one (RabbitMQ
   * quorum queues' `x-delivery-count`), plus the retries recorded in the SDK's `x-retry-attempt` header;
   * on a broker without a count a redelivery counts as one more attempt. See {@link deliveryAttempt}.
   * The broker's count is read only on queues whose broker keeps one (never a producer's header on a
   * classic queue); whether the retry header is the SDK's own is checked by the consumer.
   */
  readonly attempt: number;
  /**
   * How often the broker delivered this message before, where the queue keeps a count (RabbitMQ quorum
   * queues: 0 on a first delivery), else `undefined`. Poison detection trusts this and nothing a
   * producer can set; a transport that leaves it out gets the consumer's own in-process count.
   */
  readonly deliveryCount?: number;
  /**
   * Aborts (with a `DeliveryStaleError`) once the delivery is stale: its channel or connection is gone,
   * so it can no longer be settled and the broker will deliver it again. Work on a stale delivery should
   * stop; nothing about it may be published (a dead-letter copy would be a duplicate).
   */
  readonly signal: AbortSignal;
  /**
   * Optional cheap form of `signal.aborted`, for transports whose signal costs an allocation per
   * delivery; callers read it when present (see `isStale` in the consumer).
   */
  readonly stale?: boolean;
  /**
   * Acknowledge: the broker forgets the message. Returns false, sending nothing, when the delivering
   * channel is gone or the delivery was already settled.
   */
  ack(): boolean;
  /**
   * Negative acknowledge. `requeue: true` puts it back in the queue; `false` lets the broker dead-letter it
   * through the queue's dead-letter exchange (or discard it when the queue has none), without a recorded
   * reason. Returns false, sending nothing, when the delivering channel is gone or already settled.
   */
  nack(requeue: boolean): boolean;
  /**
   * Moves the message to its queue's dead-letter destination with the failure recorded, then settles it.
   * Never rejects and never loses the message: see {@link DeadLetterOutcome}.
   */
  deadLetter(request: DeadLetterRequest): Promise<DeadLetterOutcome>;
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

/** Lifecycle of a transport: it starts once and closes once. */
export type TransportState = 'created' | 'starting' | 'running' | 'closing' | 'closed';

/** A read-only snapshot for health checks, metrics and tests; cheap enough to call per request. */
export interface TransportStats {
  readonly state: TransportState;
  /** A broker connection is up (always true for an in-process broker while running). */
  readonly connected: boolean;
  /** Publishes waiting to be sent (disconnected, or every channel at its unconfirmed limit). */
  readonly bufferedPublishes: number;
  /** Publishes sent and waiting for the broker's confirm (those counted in `timedOutUnconfirmedPublishes` included). */
  readonly unconfirmedPublishes: number;
  /**
   * Publishes whose caller already got `PublishTimeoutError` (phase `unconfirmed`) but which the broker
   * still holds unanswered: they keep their room under the in-flight bound until it answers or their
   * channel is recycled. Absent: the transport never holds a publish past its deadline.
   */
  readonly timedOutUnconfirmedPublishes?: number;
  /** Consumers subscribed and currently receiving. */
  readonly consumers: number;
  /** The broker blocked the connection (resource alarm): publishes wait or fail. Absent: never blocks. */
  readonly blocked?: boolean;
  /** Deliveries unsettled for longer than `stuckAfterMs` right now (see `delivery.stuck` events). */
  readonly stuckDeliveries?: number;
}

/** What a transport does natively, so the core (and retry) can adapt without special cases. */
export interface TransportCapabilities {
  /**
   * Redelivers a message after a delay by itself (e.g. a JetStream `nak` with a delay). When false,
   * delayed retries go through delay queues the SDK declares.
   */
  readonly delayedRedelivery: boolean;
  /**
   * Which queues report how often a message was delivered: `all`, `quorum` (RabbitMQ: quorum queues'
   * `x-delivery-count`) or `none`. Elsewhere {@link TransportDelivery.attempt} sees only redelivery flags.
   */
  readonly deliveryCount: 'all' | 'quorum' | 'none';
  /** Publishes with the same {@link OutboundMessage.orderingKey} reach their queues in send order. */
  readonly orderedPublishing: boolean;
  /** Survives connection losses by itself: reconnects, re-asserts topology, resumes consumers. */
  readonly reconnects: boolean;
}


/**
 * The contract between the messaging module and a broker. Implement it to add a transport: the module
 * only ever talks to a broker through these calls, and decoding, validation, routing by message type,
 * concurrency and shutdown draining all happen above it, identically for every transport. The
 * conformance suite (`test/conformance`) states these semantics as tests; a new transport proves itself
 * by passing it.
 *
 * Semantics a transport must provide:
 * - `start` asserts the topology and must assert it again on every reconnect, before consumers resume.
 * - `publish` resolves only once the broker has taken responsibility for the message (publisher confirm),
 *   rejects with `UnroutableMessageError` for an unroutable mandatory message, and never buffers without bound.
 * - `consume` survives reconnects: the subscription keeps delivering after the connection comes back.
 * - deliveries know their `attempt`, go stale visibly (`signal`), and dead-letter themselves with the
 *   failure recorded, never losing a message when the dead-letter destination cannot take it.
 * - `close` waits for outstanding publishes to settle (bounded by a timeout) and releases every resource.
 */
export interface MessagingTransport {
  /** Short name for logs, e.g. `amqp` or `memory`. */
  readonly kind: string;
  /** What this transport does natively. */
  readonly capabilities: TransportCapabilities;
  start(topology: TopologyDefinition): Promise<void>;
  publish(message: OutboundMessage): Promise<void>;
  consume(options: ConsumeOptions, handler: DeliveryHandler): Promise<TransportSubscription>;
  close(): Promise<void>;
  /** Counters and state for health checks and metrics. */
  stats(): TransportStats;
  /**
   * Typed events (connection blocked, delivery stuck, queue unavailable). Optional for third-party
   * transports; the built-in ones have it.
   */
  readonly events?: TransportEvents;
  /** Optional, see {@link QueueAccess}: reads a queue without consuming (dead-letter inspection and redrive). */
  openQueueReader?(queue: string): Promise<QueueReader>;
  /** Optional, see {@link QueueAccess}: removes a queue's ready messages. */
  purgeQueue?(queue: string): Promise<number>;
  /** Optional, see {@link RequestReply}: sends a request and resolves with its reply. */
  request?(message: OutboundMessage, options: RequestOptions): Promise<InboundMessage>;
  /** Optional, see {@link RequestReply}: replies to a delivered request. */
  reply?(request: InboundMessage, reply: ReplyMessage): Promise<void>;
  /** Optional, see {@link QueueStatusAccess}: a queue's ready-message and consumer counts (backlog monitor). */
  queueStatus?(queue: string): Promise<QueueStatus>;
}

export * from './transport-optional.interface.js';
