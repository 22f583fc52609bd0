import type { TopologyDefinition } from '../topology/index.js';
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
   */
  readonly attempt: number;
  /**
   * Aborts (with a `DeliveryStaleError`) once the delivery is stale: its channel or connection is gone,
   * so it can no longer be settled and the broker will deliver it again. Work on a stale delivery should
   * stop; nothing about it may be published (a dead-letter copy would be a duplicate).
   */
  readonly signal: AbortSignal;
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
  /** Publishes sent and waiting for the broker's confirm. */
  readonly unconfirmedPublishes: number;
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

// --- Queue access (optional SPI, used by dead-letter redrive) -------------------------------------------

/**
 * A message taken from a queue by a {@link QueueReader}: held by the reader, invisible to consumers, until
 * it is acknowledged (removed for good) or the reader closes (returned to the queue in its place).
 */
export interface QueueReadDelivery {
  readonly message: InboundMessage;
  /**
   * Removes the message from the queue. Returns false, sending nothing, when the reader's channel is gone
   * (the broker has then returned the message to the queue) or it was already acknowledged.
   */
  ack(): boolean;
}

/**
 * A session that reads a queue without a consumer (AMQP `basic.get` with manual acknowledgement). Every
 * message it took and did not acknowledge goes back to the queue when it closes, in its original
 * position, flagged `redelivered`; so browsing a queue leaves it as it was. Not safe for concurrent use.
 */
export interface QueueReader {
  /** The queue read. */
  readonly queue: string;
  /** Ready messages when the session opened: a bound for a pass over the queue while others may add to it. */
  readonly readyAtOpen: number;
  /**
   * Takes the next ready message, or `undefined` when none is ready.
   * @throws TransportStateError when the session (or its connection) is closed.
   */
  get(): Promise<QueueReadDelivery | undefined>;
  /** Ends the session, returning every unacknowledged message to the queue. Idempotent. */
  close(): Promise<void>;
}

/**
 * Optional members of {@link MessagingTransport} for operating on queues directly (inspection, redrive,
 * purge), outside the consume path. A transport without them cannot serve `DeadLetters`; its presence is
 * the capability, checked with {@link supportsQueueAccess}.
 */
export interface QueueAccess {
  /**
   * Opens a {@link QueueReader} on a queue that must exist.
   * @throws TopologyError when the queue does not exist.
   */
  openQueueReader(queue: string): Promise<QueueReader>;
  /**
   * Removes the queue's ready messages without dead-lettering them (AMQP `queue.purge`); messages held
   * unacknowledged by consumers or readers stay. Resolves with how many were removed.
   * @throws TopologyError when the queue does not exist.
   */
  purgeQueue(queue: string): Promise<number>;
}

/** Whether a transport implements the optional {@link QueueAccess} members. */
export function supportsQueueAccess(transport: MessagingTransport): transport is MessagingTransport & QueueAccess {
  return typeof transport.openQueueReader === 'function' && typeof transport.purgeQueue === 'function';
}

// --- end of queue access -----------------------------------------------------------------------------

// --- Request/reply (optional SPI, used by RPC contracts and the microservices client/server) ----------

/** The address prefix of reply addresses: RabbitMQ's direct reply-to pseudo-queue, which both transports use. */
export const DIRECT_REPLY_TO = 'amq.rabbitmq.reply-to';

/** Options of {@link RequestReply.request}. */
export interface RequestOptions {
  /** Reject with `RequestTimeoutError` when no reply arrived within this many milliseconds. */
  readonly timeoutMs: number;
}

/** A reply as the responder hands it to {@link RequestReply.reply}: the transport addresses it. */
export interface ReplyMessage {
  readonly body: Buffer;
  /** `correlationId` and `replyTo` are set by the transport from the request and ignored here. */
  readonly properties: MessageProperties;
}

/**
 * Optional members of {@link MessagingTransport} for request/reply over a reply address tied to the
 * requester's connection (RabbitMQ's direct reply-to): no reply queue to declare or clean up, and
 * at-most-once replies. Its presence is the capability, checked with {@link supportsRequestReply}.
 *
 * Semantics both transports implement (and the conformance suite checks):
 * - `request` publishes like `publish` (mandatory: an unroutable request rejects at once with
 *   `UnroutableMessageError`), with `replyTo` set to the requester's reply address and a fresh
 *   `correlationId`, both replacing any the caller set; it resolves with the first reply carrying that
 *   correlation id. Concurrent requests are told apart by correlation id only.
 * - No reply within `timeoutMs` rejects with `RequestTimeoutError`; a reply arriving later is dropped.
 * - The reply address lives as long as the requester's connection (on AMQP: its request channel). When
 *   that connection or channel goes, every request in flight rejects at once with
 *   `RequestInterruptedError`, since no reply can reach the new address; later requests use the new one.
 * - `reply` answers a delivered request: it publishes to the request's `replyTo` with its
 *   `correlationId`, never mandatory (RabbitMQ up to 4.1 returns direct replies even when delivered), and
 *   resolves once the broker took it. A reply to an address that is gone is dropped silently, as on
 *   RabbitMQ: the requester has been told already. Replying does not settle the delivery.
 */
export interface RequestReply {
  /**
   * Sends a request and waits for its reply.
   * @throws RequestTimeoutError, RequestInterruptedError, UnroutableMessageError, TransportStateError.
   */
  request(message: OutboundMessage, options: RequestOptions): Promise<InboundMessage>;
  /**
   * Replies to a delivered request (one with `replyTo` and `correlationId`).
   * @throws InvalidOptionsError when the request has no `replyTo` or `correlationId`.
   */
  reply(request: InboundMessage, reply: ReplyMessage): Promise<void>;
}

/** Whether a transport implements the optional {@link RequestReply} members. */
export function supportsRequestReply(transport: MessagingTransport): transport is MessagingTransport & RequestReply {
  return typeof transport.request === 'function' && typeof transport.reply === 'function';
}

// --- end of request/reply ----------------------------------------------------------------------------

// --- Queue status (optional SPI, used by the backlog monitor) -------------------------------------------

/** A queue as the broker reports it to a passive declare: cheap to ask for, safe to ask often. */
export interface QueueStatus {
  /** Ready messages: waiting in the queue, not counting those delivered and not yet acknowledged. */
  readonly messages: number;
  /** Consumers subscribed to the queue, from every client of the broker. */
  readonly consumers: number;
}

/**
 * Optional member of {@link MessagingTransport} that reads a queue's depth without touching its messages
 * (AMQP: a passive `queue.declare` on a channel of its own). Its presence is the capability, checked with
 * {@link supportsQueueStatus}. It is named `queueStatus`, not `queueDepth`, because the in-memory
 * transport's synchronous `queueDepth` test helper already has that name and another shape.
 */
export interface QueueStatusAccess {
  /**
   * The queue's ready-message and consumer counts.
   * @throws TopologyError when the queue does not exist; TransportStateError when not running.
   */
  queueStatus(queue: string): Promise<QueueStatus>;
}

/** Whether a transport implements the optional {@link QueueStatusAccess} member. */
export function supportsQueueStatus(transport: MessagingTransport): transport is MessagingTransport & QueueStatusAccess {
  return typeof transport.queueStatus === 'function';
}

// --- end of queue status -----------------------------------------------------------------------------

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
