import { BACKLOG_DEFAULTS, type BacklogRateSource, type BacklogTrend, type QueueBacklog } from './backlog.types.js';

/** One observation of a queue: its depth, its counters when the transport has them, and this process's counters. */
export interface BacklogSample {
  /** Monotonic time of the sample, in milliseconds (e.g. `performance.now()`). */
  readonly atMs: number;
  readonly depth: number;
  /** Consumers of the queue, every client of the broker. */
  readonly consumers: number;
  /** This process's consumers of the queue (default 1 when it has counts, else 0). */
  readonly localConsumers?: number;
  /** Deliveries this process took off the queue so far (monotonic). */
  readonly delivered: number;
  /** Deliveries whose processing finished in this process so far (monotonic). */
  readonly completed: number;
  /** The queue's own count of messages that entered it, all publishers (monotonic), when the transport reports it. */
  readonly enqueued?: number;
  /** The queue's own count of deliveries settled for good, all consumers (monotonic), when the transport reports it. */
  readonly acknowledged?: number;
}

/** The change of a monotonic counter between two samples, or undefined when either lacks it or it went backwards. */
function delta(previous: number | undefined, current: number | undefined): number | undefined {
  return previous === undefined || current === undefined || current < previous ? undefined : current - previous;
}

/**
 * Estimates one queue's arrival and service rates from successive samples, queue-wide (every publisher,
 * every consumer instance), whichever process samples it.
 *
 * - With the queue's own counters (see {@link BacklogSample.enqueued}): r = Δenqueued / Δt and
 *   s = Δacknowledged / Δt, exact whatever share of the queue this process consumes.
 * - Without them, from this process's counts scaled by its share of the queue's consumers (the broker's
 *   consumer count over this process's own): the queue handed out `delivered × share` messages and lost
 *   them from its depth, so r = (ΔM + delivered × share) / Δt and s = completed × share / Δt. This assumes
 *   the consumers take equal shares (round-robin among equally fast consumers).
 *
 * Each estimate is folded into an exponentially weighted average whose weight follows the elapsed time, so
 * irregular sampling does not skew it. A single estimate may be negative (the depth is read a moment
 * apart from the counters); it is averaged as it is, because clamping each one at 0 biases the average
 * upwards and, with several instances, made arrivals read 0. Only the reported average is clamped.
 */
export class BacklogEstimator {
  private last: BacklogSample | undefined;
  /** Recent samples with queue counters, oldest first: the baselines of the counter rates. */
  private readonly counted: BacklogSample[] = [];
  private arrival: number | undefined;
  private service: number | undefined;
  private source: BacklogRateSource = 'consumer-share';

  constructor(
    readonly queue: string,
    private readonly smoothingWindowMs: number,
  ) {}

  /** Folds in a sample and returns the queue's backlog as of it. */
  update(sample: BacklogSample, sampledAt: number): QueueBacklog {
    const previous = this.last;
    this.last = sample;
    // Every sample with counters is kept as a future baseline, the first one included.
    const counted = this.counterRates(sample);
    const elapsedMs = previous ? sample.atMs - previous.atMs : 0;
    if (previous && elapsedMs > 0) {
      const rates = this.rates(previous, sample, elapsedMs / 1000, counted);
      // Counters that went backwards (a consumer or the queue restarted) give no rate this round.
      if (rates !== undefined) {
        const weight = 1 - Math.exp(-elapsedMs / this.smoothingWindowMs);
        this.arrival = this.arrival === undefined ? rates.arrivals : this.arrival + weight * (rates.arrivals - this.arrival);
        this.service = this.service === undefined ? rates.served : this.service + weight * (rates.served - this.service);
        this.source = rates.source;
      }
    }
    return this.backlog(sample, sampledAt);
  }

  private rates(previous: BacklogSample, sample: BacklogSample, seconds: number, counted: { arrivals: number; served: number } | undefined): { arrivals: number; served: number; source: BacklogRateSource } | undefined {
    if (counted !== undefined) return { ...counted, source: 'queue-counters' };
    const enqueued = delta(previous.enqueued, sample.enqueued);
    const acknowledged = delta(previous.acknowledged, sample.acknowledged);
    const delivered = delta(previous.delivered, sample.delivered);
    const completed = delta(previous.completed, sample.completed);
    if (delivered === undefined || completed === undefined) return undefined;
    const share = shareOf(sample);
    return {
      arrivals: enqueued !== undefined ? enqueued / seconds : (sample.depth - previous.depth + delivered * share) / seconds,
      served: acknowledged !== undefined ? acknowledged / seconds : (completed * share) / seconds,
      source: 'consumer-share',
    };
  }

  /**
   * Rates from the queue's own counters, over a baseline of at least half the smoothing window: the latest
   * earlier sample that old (or the oldest kept). A broker may refresh its counters only every few seconds
   * (RabbitMQ's management statistics), so between two close samples they move in steps; over a longer
   * baseline the step is a small part of the count. Undefined when the sample has no counters or they went
   * backwards (the queue was recreated: the baselines start over).
   */
  private counterRates(sample: BacklogSample): { arrivals: number; served: number } | undefined {
    if (sample.enqueued === undefined || sample.acknowledged === undefined) {
      this.counted.length = 0;
      return undefined;
    }
    const newest = this.counted.at(-1);
    if (newest && (delta(newest.enqueued, sample.enqueued) === undefined || delta(newest.acknowledged, sample.acknowledged) === undefined)) this.counted.length = 0;
    const minimumMs = this.smoothingWindowMs / 2;
    // Drop baselines that a younger one, still old enough, makes useless.
    while (this.counted.length > 1 && sample.atMs - this.counted[1]!.atMs >= minimumMs) this.counted.shift();
    const base = this.counted[0];
    this.counted.push(sample);
    if (base === undefined || sample.atMs <= base.atMs) return undefined;
    const seconds = (sample.atMs - base.atMs) / 1000;
    return { arrivals: (sample.enqueued - base.enqueued!) / seconds, served: (sample.acknowledged - base.acknowledged!) / seconds };
  }

  private backlog(sample: BacklogSample, sampledAt: number): QueueBacklog {
    const arrival = this.arrival === undefined ? undefined : Math.max(0, this.arrival);
    const service = this.service === undefined ? undefined : Math.max(0, this.service);
    const trend = arrival === undefined || service === undefined ? 'unknown' : trendOf(arrival, service);
    let timeToDrainSeconds: number | null = null;
    let expectedWaitSeconds: number | null = null;
    if (sample.depth === 0) {
      timeToDrainSeconds = 0;
      expectedWaitSeconds = 0;
    } else if (arrival !== undefined && service !== undefined) {
      if (trend === 'draining') timeToDrainSeconds = sample.depth / (service - arrival);
      // Little's law on the waiting line: a message arriving now waits for the M ahead of it at rate s.
      if (service > 0) expectedWaitSeconds = sample.depth / service;
    }
    return {
      queue: this.queue,
      depth: sample.depth,
      consumers: sample.consumers,
      arrivalRate: arrival ?? 0,
      serviceRate: service ?? 0,
      rateSource: this.source,
      trend,
      timeToDrainSeconds,
      expectedWaitSeconds,
      sampledAt,
    };
  }
}

/**
 * How many times this process's counts to take for the whole queue: the broker's consumers over this
 * process's own. 1 when this process has no consumer on the queue (its counts are then zero anyway) or
 * the broker reports fewer consumers than it has (a sample taken while one was subscribing).
 */
function shareOf(sample: BacklogSample): number {
  const local = sample.localConsumers ?? 1;
  return local > 0 && sample.consumers > local ? sample.consumers / local : 1;
}

function trendOf(arrival: number, service: number): BacklogTrend {
  const band = Math.max(BACKLOG_DEFAULTS.steadyFloorPerSecond, BACKLOG_DEFAULTS.steadyTolerance * Math.max(arrival, service));
  if (arrival - service > band) return 'growing';
  if (service - arrival > band) return 'draining';
  return 'steady';
}
