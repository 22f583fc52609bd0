/**
 * Records kept per kind unless `maxRecords` says otherwise. Enough for any test's assertions, and small
 * enough that the records die young: at 10 000 they outlive several scavenges and the transport spent
 * about half its CPU in the garbage collector (68k against 120k msgs per CPU-second at 1000).
 */
export const DEFAULT_MAX_RECORDS = 1000;

/** Options of `MemoryTransport`. */
export interface MemoryTransportOptions {
  /**
   * Records kept per kind (published, delivered, acked, nacked, dead-lettered), oldest dropped first, so
   * an app running on the embedded broker does not grow without bound. Default 1000 (enough for a test's
   * assertions); `0` records nothing, the setting for an app that runs the embedded broker in production.
   */
  readonly maxRecords?: number;
  /**
   * How long a delivery whose dead-letter copy could not be published (its dead-letter exchange routes
   * it nowhere) waits before it is requeued, in milliseconds or by attempt (from 1). Default: the
   * SDK's backoff, 1 s doubling up to 30 s, as on RabbitMQ. Tests shorten it.
   */
  readonly deadLetterRequeueDelayMs?: number | ((attempt: number) => number);
  /**
   * How long a quorum queue dead-lettering at least once (`x-dead-letter-strategy: at-least-once` with
   * `reject-publish` overflow) holds a message no target queue took (unroutable, or refused by a full
   * queue) before sending it again. Default 180 000 ms, RabbitMQ's `dead_letter_worker_publisher_confirm_timeout`.
   * Tests shorten it.
   */
  readonly deadLetterRetryMs?: number;
}

/** Options of `MemoryTransport.waitForIdle`. */
export interface WaitForIdleOptions {
  /** Default 5000. */
  readonly timeoutMs?: number;
  /** Consecutive idle checks, about a millisecond apart, required before resolving. Default 3. */
  readonly stableChecks?: number;
}

/** Options of `MemoryTransport.waitFor`. */
export interface WaitForOptions {
  /** Default 5000. */
  readonly timeoutMs?: number;
  /** What is awaited, for the timeout message. */
  readonly description?: string;
}
