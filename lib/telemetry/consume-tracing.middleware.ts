import {
  context,
  createContextKey,
  isSpanContextValid,
  ROOT_CONTEXT,
  SpanKind,
  trace,
  type Context,
  type Span,
  type SpanOptions,
  type Tracer,
} from '@opentelemetry/api';
import type { ConsumeMiddleware, ConsumeMiddlewareContext } from '../observability/messaging-middleware.types.js';
import type { InboundMessage } from '../transports/transport.interface.js';
import type { DestinationTarget, DestinationTargets } from './destination.targets.js';
import type { Tally } from './metric.tallies.js';
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

/** The per-delivery counts the consume middleware keeps (metrics on). */
export interface DeliveryCounts {
  /** Deliveries received, bumped once per delivery. */
  consumedOf(target: DestinationTarget): Tally;
  /** Deliveries being processed, raised and lowered around it. */
  inFlightOf(target: DestinationTarget): Tally;
}

/** The process span state of the active context, when processing a delivery. */
export function activeProcessSpan(active: Context = context.active()): ProcessSpanState | undefined {
  return active.getValue(PROCESS_SPAN_KEY) as ProcessSpanState | undefined;
}

/** The attributes that change per delivery; the destination's own come with the target's span options. */
function annotate(span: Span, message: InboundMessage, attempt: number, captureBodySize: boolean): void {
  const { properties } = message;
  span.setAttribute(LIBRARY_ATTRIBUTES.attempt, attempt);
  // The producer's routing key, per span only: never in the span name or a metric attribute (unbounded).
  if (message.routingKey !== '') span.setAttribute(ATTR.routingKey, message.routingKey);
  if (properties.messageId !== undefined) span.setAttribute(ATTR.messageId, properties.messageId);
  if (properties.correlationId !== undefined) span.setAttribute(ATTR.conversationId, properties.correlationId);
  if (properties.type !== undefined) span.setAttribute(LIBRARY_ATTRIBUTES.messageType, properties.type);
  if (captureBodySize) span.setAttribute(ATTR.bodySize, message.body.length);
}

function finish(state: ProcessSpanState, processed: ConsumeMiddlewareContext): void {
  const { span } = state;
  if (span.isRecording()) {
    span.setAttribute(LIBRARY_ATTRIBUTES.outcome, processed.outcome);
    if (processed.consumer !== undefined) span.setAttribute(LIBRARY_ATTRIBUTES.consumer, processed.consumer);
    if (processed.error) markSpanFailed(span, processed.error);
    else if (state.failureKind !== undefined) markSpanFailed(span, new Error(`dead-lettered (${state.failureKind})`), state.failureKind);
  }
  span.end();
}

/**
 * The `process <destination>` CONSUMER span around each delivery's processing (decode, validation,
 * handler, settlement), which runs inside the span's context so the handler's own spans nest under it.
 * The span records the settlement outcome, and `error.type` with an ERROR status on failure. Also
 * counts deliveries received and in flight when metrics are on (the destination is looked up once for
 * both; no `message.received` listener, so that event's payload is not built).
 *
 * A delivery is an entry point: its span starts from the root context, never from whatever context the
 * transport's callback happens to run in (the in-memory broker delivers inside the publisher's own async
 * context). By default the span LINKS to the creation (publish) context found in the headers, as the
 * conventions recommend; with `parent` that context becomes its parent instead (one trace from producer
 * to handler).
 */
export function createConsumeTracing(
  tracer: Tracer | undefined,
  settings: TelemetrySettings,
  targets: DestinationTargets,
  counts: DeliveryCounts | undefined,
): ConsumeMiddleware {
  const { tracing, propagation, captureBodySize } = settings;
  const linked = settings.linkOrParent === 'link';

  const traceDelivery = async (processed: ConsumeMiddlewareContext, next: () => Promise<void>, active: Tracer): Promise<void> => {
    const { message } = processed;
    const target = targets.delivery(message);
    let inFlight: Tally | undefined;
    if (counts !== undefined) {
      counts.consumedOf(target).value++;
      inFlight = counts.inFlightOf(target);
      inFlight.value++;
    }
    try {
      const headers = message.properties.headers;
      let parent: Context = ROOT_CONTEXT;
      let options: SpanOptions = target.spanOptions;
      if (headers !== undefined) {
        const creation = propagation.extract(ROOT_CONTEXT, headers);
        const producer = trace.getSpanContext(creation);
        if (producer !== undefined && isSpanContextValid(producer)) {
          if (linked) options = { kind: SpanKind.CONSUMER, attributes: target.spanOptions.attributes, links: [{ context: producer }] };
          else parent = creation;
        }
      }
      const span = active.startSpan(target.spanName, options, parent);
      if (span.isRecording()) annotate(span, message, processed.attempt, captureBodySize);
      const state: ProcessSpanState = { span, failureKind: undefined };
      try {
        await context.with(trace.setSpan(parent, span).setValue(PROCESS_SPAN_KEY, state), next);
      } finally {
        finish(state, processed);
      }
    } finally {
      if (inFlight) inFlight.value--;
    }
  };

  const countDelivery = async (processed: ConsumeMiddlewareContext, next: () => Promise<void>, count: DeliveryCounts): Promise<void> => {
    const target = targets.delivery(processed.message);
    count.consumedOf(target).value++;
    const inFlight = count.inFlightOf(target);
    inFlight.value++;
    try {
      await next();
    } finally {
      inFlight.value--;
    }
  };

  // One async layer per delivery, whichever work it has: nothing, counting, or tracing (and counting).
  return (processed, next) => {
    if (tracer !== undefined && tracing()) return traceDelivery(processed, next, tracer);
    return counts === undefined ? next() : countDelivery(processed, next, counts);
  };
}
