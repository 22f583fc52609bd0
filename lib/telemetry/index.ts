/**
 * The `nestjs-typed-messaging/opentelemetry` entry point. The module loads it by itself when
 * `@opentelemetry/api` is installed; import from it to reuse the names it records (dashboards, tests)
 * or to build the hooks by hand.
 */
export { createMessagingTelemetry } from './messaging.telemetry.js';
export {
  MESSAGING_ATTRIBUTES,
  LIBRARY_ATTRIBUTES,
  LIBRARY_EVENTS,
  MESSAGING_METRICS,
  DURATION_BUCKETS_SECONDS,
  INSTRUMENTATION_SCOPE,
} from './semantic.conventions.js';
export { publishDestination, consumeDestination, messagingSystemOf, errorTypeOf } from './messaging.destinations.js';
export type { MessagingDestination, ConsumedFrom } from './messaging.destinations.js';
export { PROCESS_SPAN_KEY, activeProcessSpan } from './consume-tracing.middleware.js';
export type { ProcessSpanState } from './consume-tracing.middleware.js';
export type { MessagingTelemetryOptions, TelemetryTracerProvider, TelemetryMeterProvider, TelemetryPropagator } from '../module/telemetry.options.js';
export type { MessagingTelemetryHooks, MessagingTelemetryInput } from '../module/telemetry.loader.js';
