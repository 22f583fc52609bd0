import type { HeaderValue } from '../transports/transport.interface.js';

/** Per-send options of a producer. */
export interface SendOptions {
  /** Defaults to a random UUID; set it for idempotent producers so consumers can deduplicate. */
  readonly messageId?: string;
  readonly correlationId?: string;
  readonly replyTo?: string;
  /** Application headers. */
  readonly headers?: Readonly<Record<string, HeaderValue>>;
  /** Overrides the contract's routing key, e.g. a region suffix on a topic exchange. */
  readonly routingKey?: string;
  /** Persist to disk in durable queues. Default `true`. */
  readonly persistent?: boolean;
  /** Per-message TTL in milliseconds. */
  readonly expiration?: number;
  readonly priority?: number;
  /** Default: now. */
  readonly timestamp?: Date;
  /** Reject with `UnroutableMessageError` when no queue receives the message. Default `true`. */
  readonly mandatory?: boolean;
  /**
   * Sends with the same ordering key reach their queue in the order they were made, even when issued
   * concurrently. Default: the destination (exchange + routing key), so one producer's messages to one
   * destination keep their order. Use e.g. an aggregate id to keep per-entity order across destinations.
   */
  readonly orderingKey?: string;
}

/** What a confirmed send reports back. */
export interface SendResult {
  /** The id the message was sent with (generated unless given). */
  readonly messageId: string;
}
