/**
 * Where a queue's backlog is heading, from the smoothed rates:
 * - `unknown`: fewer than two samples yet, so no rate;
 * - `growing`: arrivals outpace service, the backlog never drains at these rates;
 * - `draining`: service outpaces arrivals, {@link QueueBacklog.timeToDrainSeconds} says when it is empty;
 * - `steady`: the rates match within the tolerance, the backlog stays where it is.
 */
export type BacklogTrend = 'unknown' | 'growing' | 'steady' | 'draining';

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
  /** Smoothed arrivals per second: (ΔM + delivered) / Δt. */
  readonly arrivalRate: number;
  /** Smoothed completions per second by this process's consumers of the queue. */
  readonly serviceRate: number;
  readonly trend: BacklogTrend;
  /**
   * Seconds until the queue is empty at the current rates: 0 when it is empty, M / (s − r) when it
   * drains, `null` when it does not (growing or steady with messages waiting).
   */
  readonly timeToDrainSeconds: number | null;
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
   * The SLO on time to drain: `backlog.slo-breached` is emitted when a queue with messages waiting would
   * take longer than this to drain (or never drains), and `backlog.recovered` when it no longer would.
   * Default: no SLO, no events.
   */
  readonly sloSeconds?: number;
  /** Queues to watch besides the consumed ones (their service rate is then this process's only). */
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
