/**
 * The OpenTelemetry settings of the module. The shapes below are structural on purpose: the root entry
 * point must type-check and load in applications that do not have `@opentelemetry/api` installed, so
 * nothing here names its types. A `TracerProvider`, `MeterProvider` or `TextMapPropagator` from the
 * API (or any SDK) fits them.
 */

/** Anything with `getTracer`, e.g. an OpenTelemetry `TracerProvider`. */
export interface TelemetryTracerProvider {
  getTracer(name: string, version?: string): object;
}

/** Anything with `getMeter`, e.g. an OpenTelemetry `MeterProvider`. */
export interface TelemetryMeterProvider {
  getMeter(name: string, version?: string): object;
}

/** Anything with `inject`/`extract`/`fields`, e.g. an OpenTelemetry `TextMapPropagator`. */
export interface TelemetryPropagator {
  inject(context: unknown, carrier: unknown, setter?: unknown): void;
  extract(context: unknown, carrier: unknown, getter?: unknown): unknown;
  fields(): string[];
}

/**
 * How the module reports to OpenTelemetry. Without this option, tracing and metrics use the global
 * providers and propagator the application registered (nothing is recorded when it registered none).
 */
export interface MessagingTelemetryOptions {
  /** Default: the global tracer provider (`trace.getTracerProvider()`). */
  readonly tracerProvider?: TelemetryTracerProvider;
  /**
   * Default: the global meter provider. The global one is read at module init: register it before the
   * application boots, or pass it here.
   */
  readonly meterProvider?: TelemetryMeterProvider;
  /** Default: the global propagator (W3C trace context once an SDK registered it). */
  readonly propagator?: TelemetryPropagator;
  /**
   * How a `process` span relates to the `publish` span whose context the message carries: `link`
   * (default, as the messaging conventions recommend) or `parent` (one trace from producer to handler).
   */
  readonly linkOrParent?: 'link' | 'parent';
  /** Record `messaging.message.body.size` on spans (opt-in in the conventions). Default `false`. */
  readonly captureBodySize?: boolean;
  /** Create spans. Default `true`. */
  readonly traces?: boolean;
  /** Record metrics. Default `true`. */
  readonly metrics?: boolean;
}
