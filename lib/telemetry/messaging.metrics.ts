import type { Attributes, BatchObservableResult, Meter, UpDownCounter } from '@opentelemetry/api';
import type { MessagingEventBus } from '../observability/messaging-event.bus.js';
import type { ConsumedMessageInfo, PublishedMessageInfo } from '../observability/messaging-events.types.js';
import type { MessagingTransport } from '../transports/transport.interface.js';
import { consumeDestination, errorTypeOf, publishDestination } from './messaging.destinations.js';
import { DURATION_BUCKETS_SECONDS, LIBRARY_ATTRIBUTES, MESSAGING_ATTRIBUTES as ATTR, MESSAGING_METRICS as NAMES } from './semantic.conventions.js';

const MESSAGE_UNIT = '{message}';
/** Attribute sets kept for reuse; beyond this many destinations the cache starts over (bounded memory). */
const ATTRIBUTE_CACHE_LIMIT = 1000;

/**
 * The module's metrics: counters and histograms fed by the messaging events (so they cost nothing when
 * metrics are off), in-flight deliveries counted by the consume middleware, and gauges read from
 * `transport.stats()` at each collection.
 */
export class MessagingMetrics {
  /** Deliveries being processed; the consume middleware adds and removes. */
  readonly inFlight: UpDownCounter;
  private readonly detach: Array<() => void> = [];
  /** One attribute object per destination, so the hot path does not rebuild them per message. */
  private readonly attributeCache = new Map<string, Attributes>();

  constructor(
    meter: Meter,
    events: MessagingEventBus,
    transport: MessagingTransport,
    private readonly system: string,
  ) {
    const advice = { explicitBucketBoundaries: [...DURATION_BUCKETS_SECONDS] };
    const sent = meter.createCounter(NAMES.sent, { unit: MESSAGE_UNIT, description: 'Messages the producer attempted to publish' });
    const consumed = meter.createCounter(NAMES.consumed, { unit: MESSAGE_UNIT, description: 'Deliveries received by consumers' });
    const operation = meter.createHistogram(NAMES.operationDuration, { unit: 's', description: 'Publish duration, from send to broker confirm', advice });
    const processing = meter.createHistogram(NAMES.processDuration, { unit: 's', description: 'Handler duration, including immediate retries', advice });
    const retries = meter.createCounter(NAMES.retries, { unit: MESSAGE_UNIT, description: 'Deliveries sent on a delayed retry' });
    const deadLetters = meter.createCounter(NAMES.deadLetters, { unit: MESSAGE_UNIT, description: 'Deliveries dead-lettered, by failure kind' });
    this.inFlight = meter.createUpDownCounter(NAMES.inFlight, { unit: MESSAGE_UNIT, description: 'Deliveries being processed' });
    this.detach.push(
      events.on('publish.confirmed', ({ message, durationMs }) => {
        const attributes = this.published(message);
        sent.add(1, attributes);
        operation.record(durationMs / 1000, attributes);
      }),
      events.on('publish.failed', ({ message, error, durationMs }) => {
        const attributes = { ...this.published(message), [ATTR.errorType]: errorTypeOf(error) };
        sent.add(1, attributes);
        operation.record(durationMs / 1000, attributes);
      }),
      events.on('publish.returned', ({ message, error }) => sent.add(1, { ...this.published(message), [ATTR.errorType]: errorTypeOf(error) })),
      events.on('message.received', ({ message }) => consumed.add(1, this.consumedAttributes(message))),
      events.on('message.handled', ({ message, durationMs, error }) => {
        const attributes = this.consumedAttributes(message);
        processing.record(durationMs / 1000, error ? { ...attributes, [ATTR.errorType]: errorTypeOf(error) } : attributes);
      }),
      events.on('message.retried', ({ message }) => retries.add(1, this.consumedAttributes(message))),
      events.on('message.dead-lettered', ({ message, kind }) => deadLetters.add(1, { ...this.consumedAttributes(message), [LIBRARY_ATTRIBUTES.failureKind]: kind })),
    );
    this.observeTransport(meter, transport);
  }

  /** Stops listening to the events and reading the transport. */
  close(): void {
    for (const detach of this.detach.splice(0)) detach();
  }

  private observeTransport(meter: Meter, transport: MessagingTransport): void {
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
    };
    const instruments = [buffered, unconfirmed, connected, consumers];
    meter.addBatchObservableCallback(observe, instruments);
    this.detach.push(() => meter.removeBatchObservableCallback(observe, instruments));
  }

  private published(message: PublishedMessageInfo): Attributes {
    return this.cached(`p\0${message.exchange}\0${message.routingKey}`, () => this.attributes('publish', 'send', publishDestination(message).name));
  }

  private consumedAttributes(message: ConsumedMessageInfo): Attributes {
    const destination = consumeDestination({ exchange: message.exchange, routingKey: message.routingKey, queue: message.queue, headers: message.headers });
    return this.cached(`c\0${destination.name ?? ''}`, () => this.attributes('process', 'process', destination.name));
  }

  private cached(key: string, build: () => Attributes): Attributes {
    let attributes = this.attributeCache.get(key);
    if (!attributes) {
      if (this.attributeCache.size >= ATTRIBUTE_CACHE_LIMIT) this.attributeCache.clear();
      attributes = Object.freeze(build());
      this.attributeCache.set(key, attributes);
    }
    return attributes;
  }

  private attributes(operationName: string, operationType: string, destination: string | undefined): Attributes {
    const attributes: Attributes = { [ATTR.systemName]: this.system, [ATTR.operationName]: operationName, [ATTR.operationType]: operationType };
    if (destination !== undefined) attributes[ATTR.destinationName] = destination;
    return attributes;
  }
}
