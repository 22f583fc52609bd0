export * from './messaging.module.js';
export * from './messaging-module.options.js';
export * from './messaging.status.js';
export type { MessagingTelemetryOptions, TelemetryTracerProvider, TelemetryMeterProvider, TelemetryPropagator } from './telemetry.options.js';
export { MESSAGING_OPTIONS, type MessagingModuleExtras } from './messaging.module-definition.js';
