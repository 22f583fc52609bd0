import {
  createNoopMeter,
  metrics,
  propagation,
  ProxyTracerProvider,
  trace,
  type Context,
  type Meter,
  type MeterProvider,
  type TextMapPropagator,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import type { MessagingTelemetryOptions } from '../module/telemetry.options.js';
import { headerGetter, headerSetter, type HeaderCarrier, type OutgoingHeaders } from './headers.carrier.js';
import { INSTRUMENTATION_SCOPE } from './semantic.conventions.js';

/** Injects into and extracts from message headers, with the given propagator or the global one. */
export interface HeaderPropagation {
  inject(context: Context, carrier: OutgoingHeaders): void;
  extract(context: Context, carrier: HeaderCarrier): Context;
}

/** The telemetry options, resolved against the global API once, at module init. */
export interface TelemetrySettings {
  /** Undefined when traces are off. */
  readonly tracer: Tracer | undefined;
  /**
   * Whether spans can be recorded now. False while the global tracer provider is still the API's no-op
   * one: the middlewares then skip span, propagation and context work altogether, so an application that
   * merely has the API in its dependency tree pays next to nothing. Re-checked per message, so an SDK
   * registered after boot takes effect.
   */
  readonly tracing: () => boolean;
  /** Undefined when metrics are off, or when no meter provider is registered (nothing would be recorded). */
  readonly meter: Meter | undefined;
  readonly propagation: HeaderPropagation;
  readonly linkOrParent: 'link' | 'parent';
  readonly captureBodySize: boolean;
  /** `messaging.system.name`. */
  readonly system: string;
}

function headerPropagation(propagator: TextMapPropagator | undefined): HeaderPropagation {
  if (!propagator) {
    // The global API, looked up per call: an SDK registered after module init is still honoured.
    return {
      inject: (context, carrier) => propagation.inject(context, carrier, headerSetter),
      extract: (context, carrier) => propagation.extract(context, carrier, headerGetter),
    };
  }
  return {
    inject: (context, carrier) => propagator.inject(context, carrier, headerSetter),
    extract: (context, carrier) => propagator.extract(context, carrier, headerGetter),
  };
}

/** The global provider's current delegate can be compared with this one: the API's no-op provider. */
const NOOP_TRACER_PROVIDER = new ProxyTracerProvider().getDelegate();

function tracingCheck(provider: TracerProvider): () => boolean {
  if (!(provider instanceof ProxyTracerProvider)) return () => true;
  return () => provider.getDelegate() !== NOOP_TRACER_PROVIDER;
}

/**
 * Resolves providers: the ones passed, else the global ones. The options' structural provider types are
 * what the root entry point can name without the API; the real interfaces are asserted here, where the
 * API is loaded.
 */
export function resolveTelemetrySettings(options: MessagingTelemetryOptions, system: string): TelemetrySettings {
  const tracerProvider = (options.tracerProvider as TracerProvider | undefined) ?? trace.getTracerProvider();
  const meterProvider = (options.meterProvider as MeterProvider | undefined) ?? metrics.getMeterProvider();
  const meter = options.metrics === false ? undefined : meterProvider.getMeter(INSTRUMENTATION_SCOPE);
  return {
    tracer: options.traces === false ? undefined : tracerProvider.getTracer(INSTRUMENTATION_SCOPE),
    tracing: tracingCheck(tracerProvider),
    // The global meter API has no late-binding proxy: a no-op meter now stays one, so skip the work.
    meter: meter === undefined || meter === createNoopMeter() ? undefined : meter,
    propagation: headerPropagation(options.propagator as TextMapPropagator | undefined),
    linkOrParent: options.linkOrParent ?? 'link',
    captureBodySize: options.captureBodySize ?? false,
    system,
  };
}
