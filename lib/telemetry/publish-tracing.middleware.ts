import { context, SpanStatusCode, trace, type Span, type Tracer } from '@opentelemetry/api';
import type { PublishMiddleware } from '../observability/messaging-middleware.types.js';
import type { OutboundMessage } from '../transports/transport.interface.js';
import type { DestinationTargets } from './destination.targets.js';
import { OutgoingHeaders } from './headers.carrier.js';
import { errorTypeOf } from './messaging.destinations.js';
import { LIBRARY_ATTRIBUTES, MESSAGING_ATTRIBUTES as ATTR } from './semantic.conventions.js';
import type { TelemetrySettings } from './telemetry.settings.js';

/** The attributes that change per message; the destination's own come with the target's span options. */
function annotate(span: Span, message: OutboundMessage, captureBodySize: boolean): void {
  const { properties } = message;
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
 * The `publish <destination>` PRODUCER span around each publish, ended when the broker confirmed (or the
 * publish failed). Its context is injected into the message headers (W3C `traceparent`/`tracestate`
 * with the usual propagator), so consumers, retry copies and dead-letter copies carry it on.
 */
export function createPublishTracing(tracer: Tracer, settings: TelemetrySettings, targets: DestinationTargets): PublishMiddleware {
  const { tracing, propagation, captureBodySize } = settings;
  return async (message, next) => {
    if (!tracing()) return next(message);
    const parent = context.active();
    const target = targets.publish(message.exchange, message.routingKey);
    const span = tracer.startSpan(target.spanName, target.spanOptions, parent);
    if (span.isRecording()) annotate(span, message, captureBodySize);
    const traced = trace.setSpan(parent, span);
    const carrier = new OutgoingHeaders(message.properties.headers);
    propagation.inject(traced, carrier);
    // Nothing to add without a propagator: the message goes on untouched, no copy made.
    const outgoing = carrier.headers === undefined ? message : { ...message, properties: { ...message.properties, headers: carrier.headers } };
    try {
      await context.with(traced, next, undefined, outgoing);
    } catch (error) {
      if (span.isRecording()) markSpanFailed(span, error);
      throw error;
    } finally {
      span.end();
    }
  };
}

