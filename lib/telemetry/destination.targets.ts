import { SpanKind, type Attributes, type SpanOptions } from '@opentelemetry/api';
import { RETRY_HEADERS } from '../retry/retry.headers.js';
import type { InboundMessage } from '../transports/transport.interface.js';
import { consumeDestination, consumedRoute, publishDestination, type ConsumedFrom, type MessagingDestination } from './messaging.destinations.js';
import { MESSAGING_ATTRIBUTES as ATTR } from './semantic.conventions.js';

/** Destinations kept; past this many the cache starts over (a runaway set of routing keys must not grow memory forever). */
const TARGET_LIMIT = 1000;
/** Error types kept per destination for the metric attribute sets; beyond it they are built per failure. */
const ERROR_TYPE_LIMIT = 32;

/**
 * What never changes from one message to the next for one destination and operation, built the first
 * time the destination is seen: the span name and static span attributes (what a sampler sees), and the
 * metric attribute sets. The hot path then allocates no names and no attribute objects per message.
 */
export class DestinationTarget {
  /** A stable identity across cache restarts, for the metrics kept per destination. */
  readonly key: string;
  readonly spanName: string;
  /** Frozen: the span kind and the static attributes, passed to `startSpan` as they are. */
  readonly spanOptions: SpanOptions;
  /** Frozen: system, operation name and type, destination name. */
  readonly metricAttributes: Attributes;
  /** Frozen: system and destination name (the in-flight series). */
  readonly destinationAttributes: Attributes;
  private readonly failed = new Map<string, Attributes>();

  constructor(
    readonly destination: MessagingDestination,
    system: string,
    operation: 'publish' | 'process',
    kind: SpanKind,
  ) {
    const operationType = operation === 'publish' ? 'send' : 'process';
    this.key = `${operation}\0${destination.name ?? ''}`;
    this.spanName = destination.name === undefined ? operation : `${operation} ${destination.name}`;
    const named: Attributes = { [ATTR.systemName]: system };
    if (destination.name !== undefined) named[ATTR.destinationName] = destination.name;
    this.destinationAttributes = Object.freeze(named);
    const metric: Attributes = { [ATTR.systemName]: system, [ATTR.operationName]: operation, [ATTR.operationType]: operationType };
    if (destination.name !== undefined) metric[ATTR.destinationName] = destination.name;
    this.metricAttributes = Object.freeze(metric);
    const span: Attributes = { ...metric };
    if (destination.temporary) span[ATTR.destinationTemporary] = true;
    if (destination.routingKey !== '') span[ATTR.routingKey] = destination.routingKey;
    this.spanOptions = Object.freeze({ kind, attributes: Object.freeze(span) });
  }

  /** The metric attribute set with `error.type`. */
  metricAttributesFailed(errorType: string): Attributes {
    let attributes = this.failed.get(errorType);
    if (attributes === undefined) {
      attributes = Object.freeze({ ...this.metricAttributes, [ATTR.errorType]: errorType });
      if (this.failed.size < ERROR_TYPE_LIMIT) this.failed.set(errorType, attributes);
    }
    return attributes;
  }
}

type Level<T> = Map<string, T>;

/**
 * The {@link DestinationTarget}s of one module, looked up by the message's own fields through nested maps,
 * so a lookup builds no key string.
 */
export class DestinationTargets {
  /** exchange → routing key → target. */
  private publishing: Level<Level<DestinationTarget>> = new Map();
  /** queue → exchange → routing key (the original route for a retry copy) → target. */
  private consuming: Level<Level<Level<DestinationTarget>>> = new Map();
  private size = 0;

  constructor(private readonly system: string) {}

  /** The target of a publish to `exchange` with `routingKey`. */
  publish(exchange: string, routingKey: string): DestinationTarget {
    const byKey = this.publishing.get(exchange);
    const found = byKey?.get(routingKey);
    if (found !== undefined) return found;
    const target = new DestinationTarget(publishDestination({ exchange, routingKey }), this.system, 'publish', SpanKind.PRODUCER);
    this.admit();
    this.level(this.publishing, exchange).set(routingKey, target);
    return target;
  }

  /** The target of a delivery, as the consume events describe it; a retry copy shares the target of the original route. */
  consume(from: ConsumedFrom): DestinationTarget {
    return this.consumed(from.queue, from.exchange, from.routingKey, from.headers);
  }

  /** The target of an inbound message. */
  delivery(message: InboundMessage): DestinationTarget {
    return this.consumed(message.queue, message.exchange, message.routingKey, message.properties.headers);
  }

  private consumed(queue: string, exchange: string, routingKey: string, headers: ConsumedFrom['headers']): DestinationTarget {
    // Only retry and dead-letter copies carry this header: a first delivery costs one property read.
    const route = headers?.[RETRY_HEADERS.target] === undefined ? undefined : consumedRoute({ queue, exchange, routingKey, headers });
    const byExchange = this.consuming.get(queue);
    const found = byExchange?.get(route?.exchange ?? exchange)?.get(route?.routingKey ?? routingKey);
    if (found !== undefined) return found;
    const target = new DestinationTarget(consumeDestination({ queue, exchange, routingKey, headers }), this.system, 'process', SpanKind.CONSUMER);
    this.admit();
    this.level(this.level(this.consuming, queue), route?.exchange ?? exchange).set(route?.routingKey ?? routingKey, target);
    return target;
  }

  private admit(): void {
    if (++this.size <= TARGET_LIMIT) return;
    this.publishing = new Map();
    this.consuming = new Map();
    this.size = 1;
  }

  private level<T>(parent: Level<Level<T>>, key: string): Level<T> {
    let child = parent.get(key);
    if (child === undefined) {
      child = new Map();
      parent.set(key, child);
    }
    return child;
  }
}
