/** A class of errors, matched with `instanceof`. */
export type ErrorClass = abstract new (...args: never[]) => Error;

/** Which errors something applies to: a list of classes (matched with `instanceof`) or a predicate. */
export type ErrorMatcher = readonly ErrorClass[] | ((error: unknown) => boolean);

/**
 * When delayed retries happen: the delay before retry number `retry` (0 for the first), or undefined when
 * the retries are used up. `random` returns numbers in [0, 1), for jitter.
 */
export interface DelaySchedule {
  /** Delayed retries in total. */
  readonly attempts: number;
  delayMs(retry: number, random: () => number): number | undefined;
  /** The longest delay it can produce, so the delay topology is declared deep enough. */
  readonly maxDelayMs: number;
}

/** What `exponential` takes. */
export interface ExponentialOptions {
  /** Delay before the first delayed retry. */
  readonly initialMs: number;
  /** Growth per retry. Default 2. */
  readonly factor?: number;
  /** Cap of any one delay (jitter included), at most `MAX_RETRY_DELAY_MS` (2^27 - 1 ms, about 37.3 h). Default 1 hour (`DEFAULT_EXPONENTIAL_MAX_MS`). */
  readonly maxMs?: number;
  /** Delayed retries in total. */
  readonly attempts: number;
  /** Spread each delay by ±`jitter` of itself (0.2 = ±20%), so retries of a burst do not return together. Default 0. */
  readonly jitter?: number;
}

/**
 * How a failing handler is retried. Decode, validation, unknown-type, denied and rejected failures are
 * never retried: only errors a handler (or its interceptors) throws.
 */
export interface RetryPolicy {
  /** In-process re-runs of the handler, without a broker round trip, before any delayed retry. Default 0. */
  readonly immediate?: number;
  /**
   * Broker-side retries: the message leaves the queue, waits in the SDK's delay queues (holding no
   * consumer slot) and comes back to the queue it failed on. A list of delays in ms, or `exponential(...)`.
   */
  readonly delayed?: readonly number[] | DelaySchedule;
  /** Errors that go straight to the error queue. */
  readonly nonRetryable?: ErrorMatcher;
  /** Per-error policies, the first whose `errors` match wins (e.g. longer waits for a rate limit). */
  readonly overrides?: ReadonlyArray<{ readonly errors: ErrorMatcher; readonly policy: RetryPolicy }>;
}
