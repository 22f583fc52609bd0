import type { MessageProperties } from '../transport.interface.js';
import type { DeadLetterReason } from './memory.message.js';

/** The message part every record carries. */
export interface MessageSnapshot {
  readonly exchange: string;
  readonly routingKey: string;
  readonly properties: MessageProperties;
  /** A copy of the body. */
  readonly body: Buffer;
  /** The body parsed as JSON, or `undefined` when it is not JSON. */
  readonly payload: unknown;
}

/**
 * What became of a publish:
 * - `routed`: at least one queue took it and the publish resolved;
 * - `dropped`: no queue was bound for it and it was not mandatory, so it resolved and vanished (as on RabbitMQ);
 * - `returned`: mandatory and unroutable, rejected with `UnroutableMessageError`;
 * - `nacked`: a full queue with `reject-publish(-dlx)` refused it, rejected with `PublishNackedError`
 *   (other matching queues still received it);
 * - `failed`: the exchange does not exist or is internal, rejected with `TopologyError`.
 */
export type PublishOutcome = 'routed' | 'dropped' | 'returned' | 'nacked' | 'failed';

/** One call to `publish` that reached the broker (the transport was started). */
export interface PublishedRecord extends MessageSnapshot {
  readonly mandatory: boolean;
  /** Queues that received a copy, in routing order. */
  readonly routedQueues: readonly string[];
  readonly outcome: PublishOutcome;
  /** The rejection the publisher saw, for `returned`, `nacked` and `failed`. */
  readonly error?: Error;
  readonly time: Date;
}

/** Identifies one delivery to one subscription. */
export interface DeliveryIdentity {
  readonly queue: string;
  /** The `consumerName` given to `consume`. */
  readonly consumerName: string;
  /** Unique per subscription: `consumerName` plus a counter. */
  readonly consumerTag: string;
  /** Unique per queue for the life of the transport; a redelivery gets a new tag. */
  readonly deliveryTag: number;
}

/** A message handed to a consumer's handler. */
export interface DeliveredRecord extends MessageSnapshot, DeliveryIdentity {
  readonly redelivered: boolean;
  readonly time: Date;
}

/** A delivery acknowledged by its consumer. */
export interface AckedRecord extends MessageSnapshot, DeliveryIdentity {
  readonly time: Date;
}

/** A delivery negatively acknowledged by its consumer. */
export interface NackedRecord extends MessageSnapshot, DeliveryIdentity {
  /** True when it went back to the queue, false when it was dead-lettered or discarded. */
  readonly requeue: boolean;
  readonly time: Date;
}

/** A message the broker itself took out of a queue: rejected without requeue, expired, or overflowed. */
export interface DeadLetteredRecord {
  readonly sourceQueue: string;
  readonly reason: DeadLetterReason;
  /** The queue's dead-letter exchange; `undefined` when it has none and the message was discarded. */
  readonly targetExchange: string | undefined;
  /** Routing key used on the dead-letter exchange; `undefined` when discarded. */
  readonly targetRoutingKey: string | undefined;
  /** Queues that received the dead-lettered copy (empty when discarded or unroutable). */
  readonly routedQueues: readonly string[];
  /** Exchange and routing key the message had in the source queue. */
  readonly originalExchange: string;
  readonly originalRoutingKey: string;
  /** Properties of the dead-lettered copy (with `x-death`), or of the discarded message. */
  readonly properties: MessageProperties;
  readonly body: Buffer;
  readonly payload: unknown;
  readonly time: Date;
}

/** Everything the memory transport has recorded, oldest first. */
export interface MemoryRecords {
  readonly published: readonly PublishedRecord[];
  readonly delivered: readonly DeliveredRecord[];
  readonly acked: readonly AckedRecord[];
  readonly nacked: readonly NackedRecord[];
  readonly deadLettered: readonly DeadLetteredRecord[];
}

/** A ready message as returned by `MemoryTransport.messages(queue)`. */
export interface MemoryQueuedMessage extends MessageSnapshot {
  readonly redelivered: boolean;
  readonly enqueuedAt: Date;
  readonly expiresAt: Date | undefined;
}

/** Ready and delivered-but-unsettled message counts of a queue. */
export interface QueueDepth {
  readonly ready: number;
  readonly unacked: number;
}
