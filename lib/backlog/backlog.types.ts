/**
 * Where a queue's backlog is heading, from the smoothed rates:
 * - `unknown`: fewer than two samples yet, so no rate;
 * - `growing`: arrivals outpace service, the backlog never drains at these rates;
 * - `draining`: service outpaces arrivals, {@link QueueBacklog.timeToDrainSeconds} says when it is empty;
 * - `steady`: the rates match within the tolerance, the backlog stays where it is.
 */
export type BacklogTrend = 'unknown' | 'growing' | 'steady' | 'draining';

/**
 * Where the rates came from on the last update:
 * - `queue-counters`: the queue's own publish and acknowledgement counters, reported by the transport
 *   (memory transport; RabbitMQ with a management URL): exact, all publishers and consumers;
 * - `consumer-share`: this process's delivery counters scaled by the broker's consumer count over this
 *   process's consumers, assuming every consumer takes an equal share.
 */
export type BacklogRateSource = 'queue-counters' | 'consumer-share';

/**
 * One queue's backlog under the model M(t) = M(0) + (r − s)·t: the depth M, the arrival rate r and the
 * service rate s (messages per second, smoothed), and what they imply.
 */
export interface QueueBacklog {
  readonly queue: string;
  /** Ready messages at the last sample (delivered but unacknowledged ones are not counted). */
  readonly depth: number;
  /** Consumers the broker reports on the queue (every client, not only this process). */
  readonly consumers: number;
  /** Smoothed arrivals per second into the queue, from every publisher. */
  readonly arrivalRate: number;
  /** Smoothed completions per second by every consumer of the queue (every instance, not only this process). */
  readonly serviceRate: number;
  /** Where {@link arrivalRate} and {@link serviceRate} came from. */
  readonly rateSource: BacklogRateSource;
  readonly trend: BacklogTrend;
  /**
   * Seconds until the queue is empty at the current rates: 0 when it is empty, M / (s − r) when it
   * drains, `null` when it does not (growing or steady with messages waiting).
   */
  readonly timeToDrainSeconds: number | null;
  /**
   * Seconds a message arriving now waits before it is served, by Little's law on the waiting line: M / s.
   * 0 when the queue is empty, `null` when messages wait and nothing is being served. A steady standing
   * backlog has a finite expected wait even though it never drains. The SLO is checked against this.
   */
  readonly expectedWaitSeconds: number | null;
  /** When the last sample was taken (epoch milliseconds). */
  readonly sampledAt: number;
}

/** Options of the backlog monitor (`MessagingModule.forRoot({ backlog })`). */
export interface BacklogMonitorOptions {
  /** How often each queue's depth is sampled. Default 5000 ms. */
  readonly intervalMs?: number;
  /**
   * Time constant of the exponential smoothing of the rates: a sample's weight is 1 − e^(−Δt/window).
   * Default four sampling intervals.
   */
  readonly smoothingWindowMs?: number;
  /**
   * The SLO on the expected wait ({@link QueueBacklog.expectedWaitSeconds}, M / s): `backlog.slo-breached`
   * is emitted when a message arriving now would wait longer than this (or nothing serves the waiting
   * messages), and `backlog.recovered` when it no longer would. Default: no SLO, no events.
   */
  readonly sloSeconds?: number;
  /**
   * Queues to watch besides the consumed ones. Without queue counters from the transport, their rates only
   * see depth changes (this process consumes none of their messages).
   */
  readonly queues?: readonly string[];
}

/** The backlog monitor's defaults, in one place. */
export const BACKLOG_DEFAULTS = {
  intervalMs: 5000,
  smoothingIntervals: 4,
  /** Rates within this fraction of each other count as steady. */
  steadyTolerance: 0.05,
  /** And within this many messages per second, so an idle queue's noise reads as steady. */
  steadyFloorPerSecond: 0.05,
} as const;
