import type { InboundMessage, MessageProperties, MessagingTransport, OutboundMessage } from './transport.interface.js';

/*
 * The optional parts of the transport SPI: queue access (dead-letter redrive), request/reply (RPC and the
 * microservices client/server) and queue status (the backlog monitor). A transport implements what it can;
 * the `supports*` guards tell the module which.
 */

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
 *   `correlationId`; it resolves with the first reply carrying that correlation id. Concurrent requests
 *   are told apart by correlation id only. A request whose caller set `correlationId` or `replyTo`
 *   rejects with `InvalidOptionsError` and nothing is sent (see `assertTransportOwnsReplyFields`).
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
   * @throws RequestTimeoutError, RequestInterruptedError, UnroutableMessageError, TransportStateError;
   *   InvalidOptionsError when the message sets `correlationId` or `replyTo`.
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

/**
 * A queue as the broker reports it: depth and consumers (what a passive declare gives), and the queue's own
 * counters when the broker keeps them. Cheap to ask for, safe to ask often.
 */
export interface QueueStatus {
  /** Ready messages: waiting in the queue, not counting those delivered and not yet acknowledged. */
  readonly messages: number;
  /** Consumers subscribed to the queue, from every client of the broker. */
  readonly consumers: number;
  /**
   * Messages that entered the queue so far, from every publisher: a monotonic counter (it may restart at 0
   * when the queue or the broker does). Optional: a transport that cannot count them leaves it out, and the
   * backlog monitor then infers arrivals from the depth and the consumers' counts.
   */
  readonly enqueued?: number;
  /**
   * Deliveries settled for good so far (acknowledged, or rejected without requeue), by every consumer: a
   * monotonic counter like {@link enqueued}, optional like it.
   */
  readonly acknowledged?: number;
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
