import { BACKLOG_DEFAULTS, type BacklogTrend, type QueueBacklog } from './backlog.types.js';

/** One observation of a queue: its depth and this process's monotonic delivery counters. */
export interface BacklogSample {
  /** Monotonic time of the sample, in milliseconds (e.g. `performance.now()`). */
  readonly atMs: number;
  readonly depth: number;
  readonly consumers: number;
  /** Deliveries taken off the queue so far (monotonic). */
  readonly delivered: number;
  /** Deliveries whose processing finished so far (monotonic). */
  readonly completed: number;
}

/**
 * Estimates one queue's arrival and service rates from successive samples. Between two samples the queue
 * lost `delivered` messages to consumers and changed by ΔM, so r = (ΔM + delivered) / Δt, and the service
 * rate is s = completed / Δt. Each estimate is folded into an exponentially weighted average whose
 * weight follows the elapsed time, so irregular sampling does not skew it.
 */
export class BacklogEstimator {
  private last: BacklogSample | undefined;
  private arrival: number | undefined;
  private service: number | undefined;

  constructor(
    readonly queue: string,
    private readonly smoothingWindowMs: number,
  ) {}

  /** Folds in a sample and returns the queue's backlog as of it. */
  update(sample: BacklogSample, sampledAt: number): QueueBacklog {
    const previous = this.last;
    this.last = sample;
    const elapsedMs = previous ? sample.atMs - previous.atMs : 0;
    // Counters that went backwards (a consumer restarted) or no elapsed time give no rate this round.
    if (previous && elapsedMs > 0 && sample.delivered >= previous.delivered && sample.completed >= previous.completed) {
      const seconds = elapsedMs / 1000;
      const arrivals = Math.max(0, (sample.depth - previous.depth + (sample.delivered - previous.delivered)) / seconds);
      const served = (sample.completed - previous.completed) / seconds;
      const weight = 1 - Math.exp(-elapsedMs / this.smoothingWindowMs);
      this.arrival = this.arrival === undefined ? arrivals : this.arrival + weight * (arrivals - this.arrival);
      this.service = this.service === undefined ? served : this.service + weight * (served - this.service);
    }
    return this.backlog(sample, sampledAt);
  }

  private backlog(sample: BacklogSample, sampledAt: number): QueueBacklog {
    const { arrival, service } = this;
    const trend = arrival === undefined || service === undefined ? 'unknown' : trendOf(arrival, service);
    let timeToDrainSeconds: number | null = null;
    if (sample.depth === 0) timeToDrainSeconds = 0;
    else if (trend === 'draining' && arrival !== undefined && service !== undefined) timeToDrainSeconds = sample.depth / (service - arrival);
    return {
      queue: this.queue,
      depth: sample.depth,
      consumers: sample.consumers,
      arrivalRate: arrival ?? 0,
      serviceRate: service ?? 0,
      trend,
      timeToDrainSeconds,
      sampledAt,
    };
  }
}

function trendOf(arrival: number, service: number): BacklogTrend {
  const band = Math.max(BACKLOG_DEFAULTS.steadyFloorPerSecond, BACKLOG_DEFAULTS.steadyTolerance * Math.max(arrival, service));
  if (arrival - service > band) return 'growing';
  if (service - arrival > band) return 'draining';
  return 'steady';
}
