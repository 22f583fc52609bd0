import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { MESSAGING_CORE_EVENTS, MESSAGING_CORE_STATUS, MESSAGING_CORE_TRANSPORT, MESSAGING_OPTIONS } from '../common/index.js';
import { InvalidOptionsError } from '../errors/index.js';
import type { MessagingModuleOptions } from '../module/messaging-module.options.js';
import type { MessagingStatus } from '../module/messaging.status.js';
import type { MessagingEventBus } from '../observability/messaging-event.bus.js';
import { supportsQueueStatus, type MessagingTransport } from '../transports/transport.interface.js';
import { BacklogEstimator } from './backlog.estimator.js';
import { BACKLOG_DEFAULTS, type BacklogMonitorOptions, type QueueBacklog } from './backlog.types.js';

function positive(value: number | undefined, name: string): void {
  if (value !== undefined && !(Number.isFinite(value) && value > 0)) throw new InvalidOptionsError(`backlog.${name} must be a positive number, got ${value}`);
}

/**
 * Watches the backlog of every consumed queue: samples its depth on an interval (a passive declare on
 * RabbitMQ), combines it with the queue's own counters when the transport reports them, else with this
 * process's delivery counters scaled by its share of the queue's consumers, to estimate queue-wide
 * arrival and service rates, and reports depth, rates, trend, time to drain and expected wait per
 * queue. Every instance consuming a queue reports the same rates. With an SLO on the wait it emits
 * `backlog.slo-breached` / `backlog.recovered`. Off unless `MessagingModule.forRoot({ backlog })` is set;
 * {@link sample} works either way.
 */
@Injectable()
export class BacklogMonitor implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('BacklogMonitor');
  private readonly settings: BacklogMonitorOptions | undefined;
  private readonly intervalMs: number;
  private readonly estimators = new Map<string, BacklogEstimator>();
  private readonly latest = new Map<string, QueueBacklog>();
  private readonly breached = new Map<string, number>();
  private readonly failing = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private sampling: Promise<QueueBacklog[]> | undefined;
  private stopped = false;

  constructor(
    @Inject(MESSAGING_OPTIONS) options: MessagingModuleOptions,
    @Inject(MESSAGING_CORE_TRANSPORT) private readonly transport: MessagingTransport,
    @Inject(MESSAGING_CORE_EVENTS) private readonly events: MessagingEventBus,
    @Inject(MESSAGING_CORE_STATUS) private readonly status: MessagingStatus,
  ) {
    this.settings = options.backlog === false ? undefined : options.backlog;
    positive(this.settings?.intervalMs, 'intervalMs');
    positive(this.settings?.smoothingWindowMs, 'smoothingWindowMs');
    positive(this.settings?.sloSeconds, 'sloSeconds');
    this.intervalMs = this.settings?.intervalMs ?? BACKLOG_DEFAULTS.intervalMs;
  }

  /** Whether sampling runs on its own (the module's `backlog` option is set). */
  get enabled(): boolean {
    return this.settings !== undefined;
  }

  /** The SLO on time to drain, in seconds, when one is set. */
  get sloSeconds(): number | undefined {
    return this.settings?.sloSeconds;
  }

  /** The last sample of every watched queue. */
  snapshot(): QueueBacklog[] {
    return [...this.latest.values()];
  }

  /** The last sample of one queue, if it was sampled. */
  backlog(queue: string): QueueBacklog | undefined {
    return this.latest.get(queue);
  }

  /**
   * Samples every watched queue now and returns their backlogs; a sample already running is shared.
   * Queues the broker cannot report on this round (missing, disconnected) are left out and logged once.
   */
  sample(): Promise<QueueBacklog[]> {
    this.sampling ??= this.sampleAll().finally(() => (this.sampling = undefined));
    return this.sampling;
  }

  onApplicationBootstrap(): void {
    if (!this.settings) return;
    if (!supportsQueueStatus(this.transport)) {
      this.logger.warn(`Transport "${this.transport.kind}" cannot report queue depths (no queueStatus): the backlog monitor stays off`);
      return;
    }
    this.stopped = false;
    this.schedule();
  }

  onModuleDestroy(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (this.stopped) return;
    // A chain of timeouts rather than an interval, so a slow broker never piles samples up.
    this.timer = setTimeout(() => {
      void this.sample().finally(() => this.schedule());
    }, this.intervalMs);
    this.timer.unref();
  }

  private watchedQueues(): Map<string, LocalCounts> {
    const queues = new Map<string, LocalCounts>();
    for (const queue of this.settings?.queues ?? []) queues.set(queue, { delivered: 0, completed: 0, localConsumers: 0 });
    for (const consumer of this.status.consumers()) {
      const counts = queues.get(consumer.queue) ?? { delivered: 0, completed: 0, localConsumers: 0 };
      queues.set(consumer.queue, {
        delivered: counts.delivered + consumer.delivered,
        completed: counts.completed + consumer.completed,
        // Only a subscribed consumer counts in the broker's consumer count this process's share is taken of.
        localConsumers: counts.localConsumers + (consumer.running ? 1 : 0),
      });
    }
    return queues;
  }

  private async sampleAll(): Promise<QueueBacklog[]> {
    const { transport } = this;
    if (!supportsQueueStatus(transport)) return [];
    const queues = [...this.watchedQueues().keys()];
    const results = await Promise.all(
      queues.map(async (queue) => {
        try {
          const status = await transport.queueStatus(queue);
          // Counters read right after the broker answered, so depth and counts describe the same moment.
          const counts = this.watchedQueues().get(queue) ?? { delivered: 0, completed: 0, localConsumers: 0 };
          this.failing.delete(queue);
          return this.record(queue, {
            atMs: performance.now(),
            depth: status.messages,
            consumers: status.consumers,
            ...counts,
            enqueued: status.enqueued,
            acknowledged: status.acknowledged,
          });
        } catch (error) {
          const text = error instanceof Error ? error.message : String(error);
          if (this.failing.get(queue) !== text) this.logger.warn(`Cannot sample the backlog of "${queue}": ${text}`);
          this.failing.set(queue, text);
          return undefined;
        }
      }),
    );
    return results.filter((backlog): backlog is QueueBacklog => backlog !== undefined);
  }

  private record(queue: string, sample: Parameters<BacklogEstimator['update']>[0]): QueueBacklog {
    let estimator = this.estimators.get(queue);
    if (!estimator) {
      estimator = new BacklogEstimator(queue, this.settings?.smoothingWindowMs ?? this.intervalMs * BACKLOG_DEFAULTS.smoothingIntervals);
      this.estimators.set(queue, estimator);
    }
    const backlog = estimator.update(sample, Date.now());
    this.latest.set(queue, backlog);
    this.checkSlo(backlog);
    return backlog;
  }

  private checkSlo(backlog: QueueBacklog): void {
    const sloSeconds = this.settings?.sloSeconds;
    if (sloSeconds === undefined || backlog.trend === 'unknown') return;
    // The SLO is on the wait (Little's law, M / s), not on draining: a steady standing backlog that is
    // served quickly is healthy even though it never empties.
    const over = backlog.depth > 0 && (backlog.expectedWaitSeconds === null || backlog.expectedWaitSeconds > sloSeconds);
    const since = this.breached.get(backlog.queue);
    if (over && since === undefined) {
      this.breached.set(backlog.queue, backlog.sampledAt);
      this.logger.warn(`Backlog of "${backlog.queue}" breaches its ${sloSeconds} s wait SLO: ${describe(backlog)}`);
      this.events.emit('backlog.slo-breached', { backlog, sloSeconds });
    } else if (!over && since !== undefined) {
      this.breached.delete(backlog.queue);
      this.logger.log(`Backlog of "${backlog.queue}" is back within its ${sloSeconds} s wait SLO: ${describe(backlog)}`);
      this.events.emit('backlog.recovered', { backlog, sloSeconds, breachedForMs: backlog.sampledAt - since });
    }
  }
}

/** This process's consumers of a queue and their delivery counters, summed. */
interface LocalCounts {
  readonly delivered: number;
  readonly completed: number;
  readonly localConsumers: number;
}

function describe(backlog: QueueBacklog): string {
  const wait = backlog.expectedWaitSeconds === null ? 'nothing served' : `wait ${backlog.expectedWaitSeconds.toFixed(1)} s`;
  const drain = backlog.timeToDrainSeconds === null ? 'not draining' : `drains in ${backlog.timeToDrainSeconds.toFixed(1)} s`;
  return `${backlog.depth} waiting, in ${backlog.arrivalRate.toFixed(1)}/s, out ${backlog.serviceRate.toFixed(1)}/s (${backlog.rateSource}), ${wait}, ${drain}`;
}
