import { context, SpanKind, SpanStatusCode, trace, type Attributes, type Span, type Tracer } from '@opentelemetry/api';
import type { PublishMiddleware } from '../observability/messaging-middleware.types.js';
import type { OutboundMessage } from '../transports/transport.interface.js';
import { errorTypeOf, publishDestination } from './messaging.destinations.js';
import { LIBRARY_ATTRIBUTES, MESSAGING_ATTRIBUTES as ATTR } from './semantic.conventions.js';
import type { TelemetrySettings } from './telemetry.settings.js';

function publishAttributes(message: OutboundMessage, settings: TelemetrySettings, destination: ReturnType<typeof publishDestination>): Attributes {
  const { properties } = message;
  const attributes: Attributes = {
    [ATTR.systemName]: settings.system,
    [ATTR.operationName]: 'publish',
    [ATTR.operationType]: 'send',
  };
  if (destination.name !== undefined) attributes[ATTR.destinationName] = destination.name;
  if (destination.temporary) attributes[ATTR.destinationTemporary] = true;
  if (destination.routingKey !== '') attributes[ATTR.routingKey] = destination.routingKey;
  if (properties.messageId !== undefined) attributes[ATTR.messageId] = properties.messageId;
  if (properties.correlationId !== undefined) attributes[ATTR.conversationId] = properties.correlationId;
  if (properties.type !== undefined) attributes[LIBRARY_ATTRIBUTES.messageType] = properties.type;
  if (settings.captureBodySize) attributes[ATTR.bodySize] = message.body.length;
  return attributes;
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
export function createPublishTracing(tracer: Tracer, settings: TelemetrySettings): PublishMiddleware {
  return async (message, next) => {
    if (!settings.tracing()) return next(message);
    const parent = context.active();
    const destination = publishDestination(message);
    const span = tracer.startSpan(
      destination.name === undefined ? 'publish' : `publish ${destination.name}`,
      { kind: SpanKind.PRODUCER, attributes: publishAttributes(message, settings, destination) },
      parent,
    );
    const traced = trace.setSpan(parent, span);
    const injected: Record<string, string> = {};
    settings.propagation.inject(traced, injected);
    // Nothing to add without a propagator: the message goes on untouched, no copy made.
    const outgoing = Object.keys(injected).length === 0 ? message : withHeaders(message, injected);
    try {
      await context.with(traced, next, undefined, outgoing);
    } catch (error) {
      markSpanFailed(span, error);
      throw error;
    } finally {
      span.end();
    }
  };
}

function withHeaders(message: OutboundMessage, added: Record<string, string>): OutboundMessage {
  return { ...message, properties: { ...message.properties, headers: { ...message.properties.headers, ...added } } };
}
