import type { OnModuleDestroy } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { BacklogMonitor } from '../backlog/backlog.monitor.js';
import type { MessagingStatus } from '../module/messaging.status.js';
import type { MessagingEventBus } from '../observability/messaging-event.bus.js';
import type { MessagingEventMap } from '../observability/messaging-events.types.js';
import {
  errorType,
  MESSAGING_DURATION_BUCKETS,
  MESSAGING_METRIC_LABELS as L,
  MESSAGING_METRIC_NAMES as N,
  messagingSystem,
  publishDestination,
} from './messaging-metric.names.js';

/** Where {@link MessagingMetrics} reads from. */
export interface MessagingMetricsSources {
  readonly events: MessagingEventBus;
  readonly status: MessagingStatus;
  /** Gives the backlog gauges; without it (or with the monitor off) they stay empty. */
  readonly backlog?: BacklogMonitor;
}

/** Options of {@link MessagingMetrics}. */
export interface MessagingMetricsOptions {
  /**
   * The registry to register in. Default: a private `new Registry()`, never prom-client's global one, so
   * two apps (or two test boots) in one process cannot collide. Pass yours to serve it with your others.
   */
  readonly registry?: Registry;
}

type PublishOutcome = MessagingEventMap['publish.confirmed'] | MessagingEventMap['publish.failed'] | MessagingEventMap['publish.returned'];

/**
 * Prometheus metrics of the messaging module: counters and histograms fed by the event bus as messages
 * flow, and gauges (connection, buffers, consumers, backlog) read from the transport and the backlog
 * monitor when the registry is scraped. See `MESSAGING_METRIC_NAMES` for the names.
 */
export class MessagingMetrics implements OnModuleDestroy {
  /** The registry the metrics live in: serve `registry.metrics()` with `registry.contentType`. */
  readonly registry: Registry;
  private readonly names: string[] = [];
  private readonly unsubscribe: Array<() => void> = [];
  private readonly system: string;

  constructor(sources: MessagingMetricsSources, options: MessagingMetricsOptions = {}) {
    this.registry = options.registry ?? new Registry();
    const { events, status, backlog } = sources;
    this.system = messagingSystem(status.transportKind);
    const registers = [this.registry];
    const track = <M,>(name: string, metric: M): M => {
      this.names.push(name);
      return metric;
    };

    const sent = track(N.sentMessages, new Counter({ name: N.sentMessages, help: 'Messages the producer attempted to send (error_type set when the send failed).', labelNames: [L.system, L.destination, L.operation, L.errorType], registers }));
    const operation = track(N.operationDuration, new Histogram({ name: N.operationDuration, help: 'Publish duration until the broker confirmed (or refused) it, in seconds.', labelNames: [L.system, L.destination, L.operation, L.errorType], buckets: [...MESSAGING_DURATION_BUCKETS], registers }));
    const consumed = track(N.consumedMessages, new Counter({ name: N.consumedMessages, help: 'Messages delivered to the application, once per delivery.', labelNames: [L.system, L.destination, L.operation], registers }));
    const processing = track(N.processDuration, new Histogram({ name: N.processDuration, help: 'Processing duration of a delivery (decode, validation, handler, settlement), in seconds.', labelNames: [L.system, L.destination, L.operation, L.errorType], buckets: [...MESSAGING_DURATION_BUCKETS], registers }));
    const retries = track(N.retries, new Counter({ name: N.retries, help: 'Delayed retries scheduled after a handler failure.', labelNames: [L.system, L.queue], registers }));
    const deadLetters = track(N.deadLetters, new Counter({ name: N.deadLetters, help: 'Messages dead-lettered, by failure kind.', labelNames: [L.system, L.queue, L.kind], registers }));

    const onPublish = (event: PublishOutcome, error: Error | undefined, durationMs: number | undefined): void => {
      const labels = { [L.system]: this.system, [L.destination]: publishDestination(event.message.exchange, event.message.routingKey), [L.operation]: 'publish', ...(error ? { [L.errorType]: errorType(error) } : {}) };
      sent.inc(labels);
      if (durationMs !== undefined) operation.observe(labels, durationMs / 1000);
    };
    this.unsubscribe.push(
      events.on('publish.confirmed', (event) => onPublish(event, undefined, event.durationMs)),
      events.on('publish.failed', (event) => onPublish(event, event.error, event.durationMs)),
      // A return carries no duration: it still counts as a failed send.
      events.on('publish.returned', (event) => onPublish(event, event.error, undefined)),
      events.on('message.received', ({ message }) => consumed.inc({ [L.system]: this.system, [L.destination]: message.queue, [L.operation]: 'process' })),
      events.on('message.handled', ({ message, durationMs, error }) =>
        processing.observe({ [L.system]: this.system, [L.destination]: message.queue, [L.operation]: 'process', ...(error ? { [L.errorType]: errorType(error) } : {}) }, durationMs / 1000),
      ),
      events.on('message.retried', ({ message }) => retries.inc({ [L.system]: this.system, [L.queue]: message.queue })),
      events.on('message.dead-lettered', ({ message, kind }) => deadLetters.inc({ [L.system]: this.system, [L.queue]: message.queue, [L.kind]: kind })),
    );

    this.transportGauges(status, registers, track);
    this.consumerGauges(status, registers, track);
    if (backlog) this.backlogGauges(backlog, registers, track);
  }

  /** Content type to serve {@link metrics} with. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** The registry's exposition text (collects the gauges first). */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  /** Stops listening and removes these metrics from the registry (which may be the application's). Idempotent. */
  dispose(): void {
    for (const off of this.unsubscribe.splice(0)) off();
    for (const name of this.names.splice(0)) this.registry.removeSingleMetric(name);
  }

  onModuleDestroy(): void {
    this.dispose();
  }

  private transportGauges(status: MessagingStatus, registers: Registry[], track: <M>(name: string, metric: M) => M): void {
    const system = (): Record<string, string> => ({ [L.system]: this.system });
    track(N.connectionUp, new Gauge({ name: N.connectionUp, help: '1 while the broker connection is up, 0 otherwise.', labelNames: [L.system], registers, collect() { this.set(system(), status.snapshot().stats.connected ? 1 : 0); } }));
    track(N.buffered, new Gauge({ name: N.buffered, help: 'Publishes waiting in the offline buffer.', labelNames: [L.system], registers, collect() { this.set(system(), status.snapshot().stats.bufferedPublishes); } }));
    track(N.unconfirmed, new Gauge({ name: N.unconfirmed, help: 'Publishes sent and awaiting the broker confirm.', labelNames: [L.system], registers, collect() { this.set(system(), status.snapshot().stats.unconfirmedPublishes); } }));
  }

  private consumerGauges(status: MessagingStatus, registers: Registry[], track: <M>(name: string, metric: M) => M): void {
    const perQueue = (pick: (running: boolean, inFlight: number, previous: number | undefined) => number): Map<string, number> => {
      const values = new Map<string, number>();
      for (const consumer of status.consumers()) values.set(consumer.queue, pick(consumer.running, consumer.inFlight, values.get(consumer.queue)));
      return values;
    };
    const fill = (gauge: Gauge<string>, values: Map<string, number>): void => {
      gauge.reset();
      for (const [queue, value] of values) gauge.set({ [L.system]: this.system, [L.queue]: queue }, value);
    };
    track(N.inFlight, new Gauge({ name: N.inFlight, help: 'Deliveries being handled right now.', labelNames: [L.system, L.queue], registers, collect() { fill(this, perQueue((_r, inFlight, previous) => (previous ?? 0) + inFlight)); } }));
    track(N.consumerUp, new Gauge({ name: N.consumerUp, help: '1 when every consumer of the queue is subscribed, 0 otherwise.', labelNames: [L.system, L.queue], registers, collect() { fill(this, perQueue((running, _i, previous) => Math.min(previous ?? 1, running ? 1 : 0))); } }));
  }

  private backlogGauges(backlog: BacklogMonitor, registers: Registry[], track: <M>(name: string, metric: M) => M): void {
    const gauge = (name: string, help: string, value: (b: ReturnType<BacklogMonitor['snapshot']>[number]) => number): void => {
      const labels = (queue: string): Record<string, string> => ({ [L.system]: this.system, [L.queue]: queue });
      track(name, new Gauge({ name, help, labelNames: [L.system, L.queue], registers, collect() {
        this.reset();
        for (const sample of backlog.snapshot()) this.set(labels(sample.queue), value(sample));
      } }));
    };
    gauge(N.backlogDepth, 'Ready messages in the queue at the last backlog sample.', (b) => b.depth);
    gauge(N.backlogConsumers, 'Consumers on the queue (all clients) at the last backlog sample.', (b) => b.consumers);
    gauge(N.arrivalRate, 'Smoothed arrival rate into the queue, every publisher.', (b) => b.arrivalRate);
    gauge(N.serviceRate, 'Smoothed service rate of the queue, every consumer of every instance.', (b) => b.serviceRate);
    // +Inf when the backlog does not drain at the current rates.
    gauge(N.timeToDrain, 'Seconds until the queue drains at the current rates (+Inf: it does not).', (b) => b.timeToDrainSeconds ?? Number.POSITIVE_INFINITY);
    // Little's law, M / s: what the SLO is checked against. +Inf when messages wait and nothing is served.
    gauge(N.expectedWait, 'Seconds a message arriving now waits before it is served (depth / service rate; +Inf: nothing served).', (b) => b.expectedWaitSeconds ?? Number.POSITIVE_INFINITY);
  }
}
