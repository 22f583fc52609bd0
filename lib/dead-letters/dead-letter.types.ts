import type { HeaderValue, MessageProperties } from '../transports/transport.interface.js';
import type { RedriveDestinationError } from './dead-letters.errors.js';

/** The `x-failure-*` headers the SDK's consumers wrote when the message failed (see `FAILURE_HEADERS`). */
export interface DeadLetterFailure {
  /** A `FailureKind` (`handler`, `validation`, ...) as written; kept a string since older writers may differ. */
  readonly kind?: string;
  readonly reason?: string;
  /** The error class name. */
  readonly error?: string;
  /** JSON list of validation issues, as written. */
  readonly issues?: string;
  /** ISO time of the failure, as written. */
  readonly at?: string;
  /** The queue the message failed on. */
  readonly queue?: string;
  readonly consumer?: string;
}

/** What the broker recorded when it dead-lettered the message itself (`x-death`, newest entry first). */
export interface BrokerDeath {
  /** `rejected`, `expired`, `maxlen` or `delivery_limit`. */
  readonly reason: string;
  readonly queue: string;
  readonly exchange: string | undefined;
  readonly routingKeys: readonly string[];
  /** How many times it died this way in that queue. */
  readonly count: number;
  readonly time: Date | undefined;
  /** `x-first-death-queue`: the queue of the first broker dead-lettering. */
  readonly firstQueue: string | undefined;
}

/** One message of a dead-letter queue, described for an operator; the message itself stays in the queue. */
export interface DeadLetterEntry {
  /** Position in the queue when read, from 0 (the head). */
  readonly position: number;
  readonly messageId: string | undefined;
  /** The message type (contract name). */
  readonly type: string | undefined;
  /** Present when an SDK consumer recorded the failure. */
  readonly failure: DeadLetterFailure | undefined;
  /** Present when the broker dead-lettered the message (rejected without requeue, expired, overflow). */
  readonly death: BrokerDeath | undefined;
  /** Where a redrive sends it; `undefined` when it cannot be determined (a redrive then leaves it). */
  readonly originQueue: string | undefined;
  readonly originalExchange: string | undefined;
  readonly originalRoutingKey: string | undefined;
  /** When it failed (the failure's time, else the broker's death time). */
  readonly failedAt: Date | undefined;
  /** How many times it was redriven before (`x-redrive-count`). */
  readonly redriveCount: number;
  /** Body size in bytes. */
  readonly size: number;
  /** The start of the body as text, or `base64:`-prefixed when it is not printable text. */
  readonly bodyPreview: string;
  readonly contentType: string | undefined;
}

/** A dead-letter entry with the whole message, as {@link DeadLetters.peek} returns it. */
export interface DeadLetterMessage extends DeadLetterEntry {
  readonly body: Buffer;
  readonly properties: MessageProperties;
  readonly headers: Readonly<Record<string, HeaderValue>>;
}

/** Which page of a dead-letter queue to list. */
export interface DeadLetterListOptions {
  /** Entries to skip from the head. Default 0. */
  readonly offset?: number;
  /** Most entries to return. Default 50, at most 1000. */
  readonly limit?: number;
  /** Characters of body preview. Default 120. */
  readonly previewChars?: number;
}

/** One page of a dead-letter queue. */
export interface DeadLetterPage {
  readonly queue: string;
  /** Ready messages in the queue when it was read. */
  readonly total: number;
  readonly offset: number;
  readonly limit: number;
  readonly entries: readonly DeadLetterEntry[];
}

/**
 * Which messages a redrive moves: `all`, a list of `ids`, or a filter (every given criterion must
 * hold). One of them is required, so an empty call can never move a whole queue by accident.
 */
export interface RedriveSelection {
  readonly all?: boolean;
  /** Message ids (`messageId`) to move. */
  readonly ids?: readonly string[];
  /** Failure kind (`x-failure-kind`), or the broker's reason (`rejected`, `expired`, ...) for broker deaths. */
  readonly kind?: string;
  /** Failing consumer (`x-failure-consumer`), exact. */
  readonly consumer?: string;
  /** Message type, exact. */
  readonly type?: string;
  /** Substring of the failure reason, case-insensitive. */
  readonly reason?: string;
  /** Only messages that failed at least this long ago; messages without a failure time never match. */
  readonly olderThanMs?: number;
}

/** A redrive: which messages, and whether to move them or only report. */
export interface RedriveOptions extends RedriveSelection {
  /** Report what would move without moving anything. */
  readonly dryRun?: boolean;
  /**
   * The queues this redrive may send to. Each message still goes back to the queue it failed on (as its
   * headers or the broker's death record say), but only when that queue is named here; others are
   * refused. Without it, the application's topology decides (a declared queue whose failures go to this
   * dead-letter queue), and without a topology (the CLI) only `<name>` for `<name>.error`.
   */
  readonly to?: string | readonly string[];
}

/** One message a redrive looked at. */
export interface RedriveItem {
  readonly messageId: string | undefined;
  readonly type: string | undefined;
  /** Its position in the dead-letter queue when read. */
  readonly position: number;
  /** The queue it was (or would be) sent to. */
  readonly to: string | undefined;
}

/** A message a redrive could not move; it is still in the dead-letter queue. */
export interface RedriveFailure extends RedriveItem {
  readonly error: string;
}

/** A message a redrive would not send where its headers say it failed; it is still in the dead-letter queue. */
export interface RedriveRefusal extends RedriveItem {
  readonly error: RedriveDestinationError;
}

/** What a redrive did. Every matched message is in exactly one of the lists. */
export interface RedriveReport {
  readonly queue: string;
  readonly dryRun: boolean;
  /** Messages read from the dead-letter queue. */
  readonly examined: number;
  /** Moved (or, in a dry run, would move) to their origin queues. */
  readonly moved: readonly RedriveItem[];
  /** Matched but without a known origin queue: left in place. */
  readonly unresolved: readonly RedriveItem[];
  /** Matched but the publish failed (e.g. the origin queue no longer exists): left in place. */
  readonly failed: readonly RedriveFailure[];
  /**
   * Matched but the destination its headers name is not allowed (see {@link RedriveOptions.to}): left in
   * place. A dry run reports these too.
   */
  readonly refused: readonly RedriveRefusal[];
  /**
   * Published, but the dead-letter queue's copy could not be acknowledged (its channel closed first), so
   * it is still there too: these messages now exist twice. Never lost.
   */
  readonly duplicated: readonly RedriveItem[];
  /** Requested ids that were not found. */
  readonly missingIds: readonly string[];
}

/** The explicit confirmation a purge needs. */
export interface PurgeOptions {
  /** Must equal the queue name. */
  readonly confirm: string;
}
