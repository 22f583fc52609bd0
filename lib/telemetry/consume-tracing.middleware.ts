import {
  context,
  createContextKey,
  isSpanContextValid,
  ROOT_CONTEXT,
  SpanKind,
  trace,
  type Attributes,
  type Context,
  type Link,
  type Span,
  type Tracer,
  type UpDownCounter,
} from '@opentelemetry/api';
import type { ConsumeMiddleware, ConsumeMiddlewareContext } from '../observability/messaging-middleware.types.js';
import type { InboundMessage } from '../transports/transport.interface.js';
import { consumeDestination, type MessagingDestination } from './messaging.destinations.js';
import { markSpanFailed } from './publish-tracing.middleware.js';
import { LIBRARY_ATTRIBUTES, MESSAGING_ATTRIBUTES as ATTR } from './semantic.conventions.js';
import type { TelemetrySettings } from './telemetry.settings.js';

/** The `process` span of the delivery being processed, and what the consume events told about it. */
export interface ProcessSpanState {
  readonly span: Span;
  /** Set when the delivery was dead-lettered (the kind stands in for `error.type` when no error was thrown). */
  failureKind: string | undefined;
}

/**
 * Carries the {@link ProcessSpanState} in the processing context. Handler spans inherit the context, so the
 * state is found even while a handler's own span is the active one (a manual ack inside it).
 */
export const PROCESS_SPAN_KEY = createContextKey('nestjs-typed-messaging process span');

/** The process span state of the active context, when processing a delivery. */
export function activeProcessSpan(active: Context = context.active()): ProcessSpanState | undefined {
  return active.getValue(PROCESS_SPAN_KEY) as ProcessSpanState | undefined;
}

function processAttributes(message: InboundMessage, attempt: number, destination: MessagingDestination, settings: TelemetrySettings): Attributes {
  const { properties } = message;
  const attributes: Attributes = {
    [ATTR.systemName]: settings.system,
    [ATTR.operationName]: 'process',
    [ATTR.operationType]: 'process',
    [LIBRARY_ATTRIBUTES.attempt]: attempt,
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

/**
 * Where the process span hangs. A delivery is an entry point: it starts from the root context, never
 * from whatever context the transport's callback happens to run in (the in-memory broker delivers inside
 * the publisher's own async context). By default the span LINKS to the creation (publish) context found
 * in the headers, as the conventions recommend; with `parent` that context becomes its parent instead
 * (one trace from producer to handler).
 */
function placement(message: InboundMessage, settings: TelemetrySettings): { parent: Context; links: Link[] } {
  const headers = message.properties.headers;
  const creation = headers ? settings.propagation.extract(ROOT_CONTEXT, headers) : ROOT_CONTEXT;
  const producer = trace.getSpanContext(creation);
  if (!producer || !isSpanContextValid(producer)) return { parent: ROOT_CONTEXT, links: [] };
  if (settings.linkOrParent === 'link') return { parent: ROOT_CONTEXT, links: [{ context: producer }] };
  return { parent: creation, links: [] };
}

function finish(state: ProcessSpanState, processed: ConsumeMiddlewareContext): void {
  const { span } = state;
  span.setAttribute(LIBRARY_ATTRIBUTES.outcome, processed.outcome);
  if (processed.consumer !== undefined) span.setAttribute(LIBRARY_ATTRIBUTES.consumer, processed.consumer);
  if (processed.error) markSpanFailed(span, processed.error);
  else if (state.failureKind !== undefined) markSpanFailed(span, new Error(`dead-lettered (${state.failureKind})`), state.failureKind);
  span.end();
}

/**
 * The `process <destination>` CONSUMER span around each delivery's processing (decode, validation,
 * handler, settlement), which runs inside the span's context so the handler's own spans nest under it.
 * The span records the settlement outcome, and `error.type` with an ERROR status on failure. Also
 * counts deliveries in flight when metrics are on.
 */
export function createConsumeTracing(tracer: Tracer | undefined, settings: TelemetrySettings, inFlight: UpDownCounter | undefined): ConsumeMiddleware {
  return async (processed, next) => {
    const traced = tracer !== undefined && settings.tracing();
    // Nothing to record for this delivery: no destination naming, no context switch.
    if (!traced && !inFlight) return next();
    const { message } = processed;
    const destination = consumeDestination({ exchange: message.exchange, routingKey: message.routingKey, queue: message.queue, headers: message.properties.headers });
    const counted: Attributes | undefined = inFlight && {
      [ATTR.systemName]: settings.system,
      ...(destination.name === undefined ? {} : { [ATTR.destinationName]: destination.name }),
    };
    if (counted) inFlight?.add(1, counted);
    try {
      if (!traced) return await next();
      const { parent, links } = placement(message, settings);
      const span = tracer.startSpan(
        destination.name === undefined ? 'process' : `process ${destination.name}`,
        { kind: SpanKind.CONSUMER, attributes: processAttributes(message, processed.attempt, destination, settings), links },
        parent,
      );
      const state: ProcessSpanState = { span, failureKind: undefined };
      try {
        await context.with(trace.setSpan(parent, span).setValue(PROCESS_SPAN_KEY, state), next);
      } finally {
        finish(state, processed);
      }
    } finally {
      if (counted) inFlight?.add(-1, counted);
    }
  };
}
