import { SpanKind, type Attributes, type SpanOptions } from '@opentelemetry/api';
import type { InboundMessage } from '../transports/transport.interface.js';
import { consumeDestination, isTemporaryQueue, publishDestination, type ConsumedFrom, type MessagingDestination } from './messaging.destinations.js';
import { MESSAGING_ATTRIBUTES as ATTR } from './semantic.conventions.js';
import { serverAttributesOf } from './server.endpoint.js';

/**
 * Destinations kept; past this many the cache starts over. Destinations are exchanges and queues, so this
 * is never reached in practice; it only bounds memory should an application publish to ever new exchanges.
 */
const TARGET_LIMIT = 1000;
/** Error types kept per destination for the metric attribute sets; beyond it they are built per failure. */
const ERROR_TYPE_LIMIT = 32;
/** The key of the one target shared by every temporary (reply) destination. */
const TEMPORARY = '\0temporary';

/**
 * What never changes from one message to the next for one destination and operation, built the first
 * time the destination is seen: the span name and static span attributes (what a sampler sees), and the
 * metric attribute sets. The hot path then allocates no names and no attribute objects per message.
 * A destination is an exchange (publish) or a queue (process), never a routing key or a header value,
 * so the set of targets, span names and metric series stays as small as the topology.
 */
export class DestinationTarget {
  /** A stable identity across cache restarts, for the metrics kept per destination. */
  readonly key: string;
  readonly spanName: string;
  /** Frozen: the span kind and the static attributes (with `server.*` when known), passed to `startSpan` as they are. */
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
    server: Attributes = {},
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
    const span: Attributes = { ...metric, ...server };
    if (destination.temporary) span[ATTR.destinationTemporary] = true;
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

/**
 * The {@link DestinationTarget}s of one module: one per exchange published to and one per queue consumed
 * from (plus one shared by reply destinations), looked up without building a key string.
 */
export class DestinationTargets {
  /** exchange (or {@link TEMPORARY}) → target. */
  private publishing = new Map<string, DestinationTarget>();
  /** queue → target. */
  private consuming = new Map<string, DestinationTarget>();
  private server: Attributes = {};
  private serverKey = '';

  constructor(private readonly system: string) {}

  /**
   * The broker the transport is connected to, from its connection URL (host and port only): the spans
   * built from now on carry it as `server.address` / `server.port`. A different broker (a failover
   * URL) rebuilds the targets, which is rare enough to cost nothing.
   */
  useServer(url: string): void {
    const server = serverAttributesOf(url);
    const key = JSON.stringify(server);
    if (key === this.serverKey) return;
    this.server = Object.freeze(server);
    this.serverKey = key;
    this.publishing = new Map();
    this.consuming = new Map();
  }

  /** The target of a publish to `exchange` with `routingKey` (the key matters only for a reply address). */
  publish(exchange: string, routingKey: string): DestinationTarget {
    const key = exchange === '' && isTemporaryQueue(routingKey) ? TEMPORARY : exchange;
    const found = this.publishing.get(key);
    if (found !== undefined) return found;
    const target = new DestinationTarget(publishDestination({ exchange, routingKey }), this.system, 'publish', SpanKind.PRODUCER, this.server);
    this.admit(this.publishing).set(key, target);
    return target;
  }

  /** The target of a delivery, as the consume events describe it: its queue. */
  consume(from: ConsumedFrom): DestinationTarget {
    return this.consumed(from.queue, from.exchange, from.routingKey);
  }

  /** The target of an inbound message: its queue. */
  delivery(message: InboundMessage): DestinationTarget {
    return this.consumed(message.queue, message.exchange, message.routingKey);
  }

  private consumed(queue: string, exchange: string, routingKey: string): DestinationTarget {
    const found = this.consuming.get(queue);
    if (found !== undefined) return found;
    const target = new DestinationTarget(consumeDestination({ queue, exchange, routingKey, headers: undefined }), this.system, 'process', SpanKind.CONSUMER, this.server);
    this.admit(this.consuming).set(queue, target);
    return target;
  }

  private admit(map: Map<string, DestinationTarget>): Map<string, DestinationTarget> {
    if (map.size >= TARGET_LIMIT) map.clear();
    return map;
  }
}
