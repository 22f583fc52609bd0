import type { Attributes, BatchObservableResult, Histogram, Meter, Observable } from '@opentelemetry/api';
import type { MessagingEventBus } from '../observability/messaging-event.bus.js';
import type { MessagingTransport } from '../transports/transport.interface.js';
import type { DestinationTarget, DestinationTargets } from './destination.targets.js';
import { UnroutableMessageError } from '../errors/index.js';
import { errorTypeOf } from './messaging.destinations.js';
import { MetricTallies, type Tally } from './metric.tallies.js';
import type { PublishOutcomes } from './publish-tracing.middleware.js';
import { DURATION_BUCKETS_SECONDS, LIBRARY_ATTRIBUTES, MESSAGING_ATTRIBUTES as ATTR, MESSAGING_METRICS as NAMES } from './semantic.conventions.js';

const MESSAGE_UNIT = '{message}';

/**
 * The module's metrics: publishes counted and timed by the publish middleware, deliveries counted (received,
 * in flight) by the consume middleware, the processing histogram and the retry and dead-letter counters fed by
 * the consume events (so they cost nothing when metrics are off), and gauges read from `transport.stats()`
 * at each collection. The per-message counts (sent, consumed, in flight) are kept
 * in process and reported at collection through asynchronous instruments (see {@link MetricTallies});
 * the histograms record each message against an attribute set built once per destination.
 */
export class MessagingMetrics implements PublishOutcomes {
  private readonly detach: Array<() => void> = [];
  private readonly sent: MetricTallies;
  private readonly consumed: MetricTallies;
  private readonly inFlight: MetricTallies;
  private readonly operation: Histogram;

  constructor(
    meter: Meter,
    events: MessagingEventBus,
    transport: MessagingTransport,
    targets: DestinationTargets,
    private readonly system: string,
  ) {
    const advice = { explicitBucketBoundaries: [...DURATION_BUCKETS_SECONDS] };
    const sent = meter.createObservableCounter(NAMES.sent, { unit: MESSAGE_UNIT, description: 'Messages the producer attempted to publish' });
    const consumed = meter.createObservableCounter(NAMES.consumed, { unit: MESSAGE_UNIT, description: 'Deliveries received by consumers' });
    const inFlight = meter.createObservableUpDownCounter(NAMES.inFlight, { unit: MESSAGE_UNIT, description: 'Deliveries being processed' });
    this.operation = meter.createHistogram(NAMES.operationDuration, { unit: 's', description: 'Publish duration, from send to broker confirm', advice });
    const processing = meter.createHistogram(NAMES.processDuration, { unit: 's', description: 'Handler duration, including immediate retries', advice });
    const retries = meter.createCounter(NAMES.retries, { unit: MESSAGE_UNIT, description: 'Deliveries sent on a delayed retry' });
    const deadLetters = meter.createCounter(NAMES.deadLetters, { unit: MESSAGE_UNIT, description: 'Deliveries dead-lettered, by failure kind' });
    this.sent = new MetricTallies(sent);
    this.consumed = new MetricTallies(consumed);
    this.inFlight = new MetricTallies(inFlight);
    this.detach.push(
      events.on('message.handled', ({ message, durationMs, error }) => {
        const target = targets.consume(message);
        processing.record(durationMs / 1000, error ? target.metricAttributesFailed(errorTypeOf(error)) : target.metricAttributes);
      }),
      events.on('message.retried', ({ message }) => retries.add(1, targets.consume(message).metricAttributes)),
      events.on('message.dead-lettered', ({ message, kind }) => deadLetters.add(1, { ...targets.consume(message).metricAttributes, [LIBRARY_ATTRIBUTES.failureKind]: kind })),
    );
    this.observe(meter, transport, [sent, consumed, inFlight]);
  }

  /**
   * One publish done, from the publish middleware: counted as sent (with `error.type` when it failed) and
   * timed, except a return (unroutable), which the broker answered without a duration worth recording.
   */
  published(target: DestinationTarget, durationMs: number, error: unknown): void {
    if (error === undefined) {
      this.sent.of(target.key, target.metricAttributes).value++;
      this.operation.record(durationMs / 1000, target.metricAttributes);
      return;
    }
    const failure = error instanceof Error ? error : new Error(String(error));
    const attributes = this.sentFailed(target, failure);
    if (!(failure instanceof UnroutableMessageError)) this.operation.record(durationMs / 1000, attributes);
  }

  /** The consumed count of a delivery's destination: the consume middleware bumps it once per delivery. */
  consumedOf(target: DestinationTarget): Tally {
    return this.consumed.of(target.key, target.metricAttributes);
  }

  /** The in-flight count of a delivery's destination: the consume middleware raises and lowers it. */
  inFlightOf(target: DestinationTarget): Tally {
    return this.inFlight.of(target.key, target.destinationAttributes);
  }

  /** Stops listening to the events and reading the transport. */
  close(): void {
    for (const detach of this.detach.splice(0)) detach();
  }

  private sentFailed(target: DestinationTarget, error: Error): Attributes {
    const errorType = errorTypeOf(error);
    const attributes = target.metricAttributesFailed(errorType);
    this.sent.of(`${target.key}\0${errorType}`, attributes).value++;
    return attributes;
  }

  private observe(meter: Meter, transport: MessagingTransport, tallied: Observable[]): void {
    const buffered = meter.createObservableGauge(NAMES.buffered, { unit: MESSAGE_UNIT, description: 'Publishes waiting to be sent' });
    const unconfirmed = meter.createObservableGauge(NAMES.unconfirmed, { unit: MESSAGE_UNIT, description: 'Publishes sent, awaiting the broker confirm' });
    const connected = meter.createObservableGauge(NAMES.connected, { unit: '1', description: '1 while connected to the broker, else 0' });
    const consumers = meter.createObservableGauge(NAMES.consumers, { unit: '{consumer}', description: 'Consumers subscribed and receiving' });
    const base: Attributes = { [ATTR.systemName]: this.system };
    const observe = (result: BatchObservableResult): void => {
      const stats = transport.stats();
      result.observe(buffered, stats.bufferedPublishes, base);
      result.observe(unconfirmed, stats.unconfirmedPublishes, base);
      result.observe(connected, stats.connected ? 1 : 0, { ...base, [LIBRARY_ATTRIBUTES.transportState]: stats.state });
      result.observe(consumers, stats.consumers, base);
      this.sent.observe(result);
      this.consumed.observe(result);
      this.inFlight.observe(result);
    };
    const instruments = [buffered, unconfirmed, connected, consumers, ...tallied];
    meter.addBatchObservableCallback(observe, instruments);
    this.detach.push(() => meter.removeBatchObservableCallback(observe, instruments));
  }
}
