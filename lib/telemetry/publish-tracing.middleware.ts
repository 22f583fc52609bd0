import { context, SpanStatusCode, trace, type Span, type Tracer } from '@opentelemetry/api';
import type { PublishMiddleware } from '../observability/messaging-middleware.types.js';
import type { OutboundMessage } from '../transports/transport.interface.js';
import type { DestinationTarget, DestinationTargets } from './destination.targets.js';
import { OutgoingHeaders } from './headers.carrier.js';
import { errorTypeOf } from './messaging.destinations.js';
import { LIBRARY_ATTRIBUTES, MESSAGING_ATTRIBUTES as ATTR } from './semantic.conventions.js';
import type { TelemetrySettings } from './telemetry.settings.js';

/** Where the publish middleware reports each publish's outcome and duration (the metrics). */
export interface PublishOutcomes {
  /** One publish done: `error` is what it was rejected with, undefined once confirmed. */
  published(target: DestinationTarget, durationMs: number, error: unknown): void;
}

/** The attributes that change per message; the destination's own come with the target's span options. */
function annotate(span: Span, message: OutboundMessage, captureBodySize: boolean): void {
  const { properties } = message;
  // The routing key, per span only: never in the span name or a metric attribute (a producer may pick any).
  if (message.routingKey !== '') span.setAttribute(ATTR.routingKey, message.routingKey);
  if (properties.messageId !== undefined) span.setAttribute(ATTR.messageId, properties.messageId);
  if (properties.correlationId !== undefined) span.setAttribute(ATTR.conversationId, properties.correlationId);
  if (properties.type !== undefined) span.setAttribute(LIBRARY_ATTRIBUTES.messageType, properties.type);
  if (captureBodySize) span.setAttribute(ATTR.bodySize, message.body.length);
}

/** Marks a span as failed with the conventions' `error.type` and an ERROR status. */
export function markSpanFailed(span: Span, error: unknown, errorType?: string): void {
  const failure = error instanceof Error ? error : new Error(String(error));
  span.setAttribute(ATTR.errorType, errorType ?? errorTypeOf(failure));
  span.recordException(failure);
  span.setStatus({ code: SpanStatusCode.ERROR, message: failure.message });
}

/**
 * The publish middleware: the `publish <destination>` PRODUCER span around each publish, ended when the
 * broker confirmed (or the publish failed), and the publish metrics (sent count, operation duration).
 * The span's context is injected into the message headers (W3C `traceparent`/`tracestate` with the usual
 * propagator), so consumers, retry copies and dead-letter copies carry it on.
 *
 * Metrics are taken here rather than from the publish events: the destination is looked up once for
 * both, and a publish costs one async layer, not a second one plus the event payloads.
 */
export function createPublishTracing(
  tracer: Tracer | undefined,
  settings: TelemetrySettings,
  targets: DestinationTargets,
  outcomes?: PublishOutcomes,
): PublishMiddleware {
  const { tracing, propagation, captureBodySize } = settings;

  const traced = async (message: OutboundMessage, next: (message: OutboundMessage) => Promise<void>, active: Tracer): Promise<void> => {
    const parent = context.active();
    const target = targets.publish(message.exchange, message.routingKey);
    const span = active.startSpan(target.spanName, target.spanOptions, parent);
    if (span.isRecording()) annotate(span, message, captureBodySize);
    const spanContext = trace.setSpan(parent, span);
    const carrier = new OutgoingHeaders(message.properties.headers);
    propagation.inject(spanContext, carrier);
    // Nothing to add without a propagator: the message goes on untouched, no copy made.
    const outgoing = carrier.headers === undefined ? message : { ...message, properties: { ...message.properties, headers: carrier.headers } };
    const started = outcomes === undefined ? 0 : performance.now();
    try {
      await context.with(spanContext, next, undefined, outgoing);
    } catch (error) {
      if (span.isRecording()) markSpanFailed(span, error);
      outcomes?.published(target, performance.now() - started, error);
      throw error;
    } finally {
      span.end();
    }
    outcomes?.published(target, performance.now() - started, undefined);
  };

  const counted = async (message: OutboundMessage, next: (message: OutboundMessage) => Promise<void>, report: PublishOutcomes): Promise<void> => {
    const started = performance.now();
    try {
      await next(message);
    } catch (error) {
      report.published(targets.publish(message.exchange, message.routingKey), performance.now() - started, error);
      throw error;
    }
    report.published(targets.publish(message.exchange, message.routingKey), performance.now() - started, undefined);
  };

  return (message, next) => {
    if (tracer !== undefined && tracing()) return traced(message, next, tracer);
    return outcomes === undefined ? next(message) : counted(message, next, outcomes);
  };
}
