import type { Logger } from '@nestjs/common';
import type { MessagingEventBus } from '../observability/messaging-event.bus.js';
import type { ConsumeMiddleware, PublishMiddleware } from '../observability/messaging-middleware.types.js';
import type { MessagingTransport } from '../transports/transport.interface.js';
import type { MessagingTelemetryOptions } from './telemetry.options.js';

/** What the telemetry entry point hands the module: a middleware per side and a way to detach. */
export interface MessagingTelemetryHooks {
  /** Runs outermost around every publish: the `publish` span and the trace-context headers. */
  readonly publish: PublishMiddleware | undefined;
  /** Runs outermost around every delivery: the `process` span, its context, in-flight counting. */
  readonly consume: ConsumeMiddleware | undefined;
  /** Unsubscribes from the event bus and stops observing the transport. */
  close(): void;
}

/** What the telemetry entry point is given to build its hooks. */
export interface MessagingTelemetryInput {
  readonly options: MessagingTelemetryOptions;
  readonly transport: MessagingTransport;
  readonly events: MessagingEventBus;
}

/** The part of the telemetry entry point the loader calls. */
export interface MessagingTelemetryEntry {
  createMessagingTelemetry(input: MessagingTelemetryInput): MessagingTelemetryHooks;
}

/** How the loader reaches its two modules; replaceable in tests to simulate a missing API. */
export interface TelemetryImports {
  readonly api: () => Promise<unknown>;
  readonly entry: () => Promise<MessagingTelemetryEntry>;
}

const DEFAULT_IMPORTS: TelemetryImports = {
  api: () => import('@opentelemetry/api'),
  // Loaded only after the API resolved: the entry point imports it statically.
  entry: () => import('../telemetry/index.js'),
};

function isModuleNotFound(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
}

/**
 * Turns telemetry on when `@opentelemetry/api` can be imported, as OpenTelemetry asks of libraries: no
 * option is needed, and without a registered SDK the API's no-op implementations record nothing.
 * Resolves to undefined when turned off (`telemetry: false`) or when the API is not installed, so
 * applications without it never load the telemetry code.
 */
export async function loadTelemetry(
  options: MessagingTelemetryOptions | false | undefined,
  transport: MessagingTransport,
  events: MessagingEventBus,
  logger: Logger,
  imports: TelemetryImports = DEFAULT_IMPORTS,
): Promise<MessagingTelemetryHooks | undefined> {
  if (options === false) return undefined;
  try {
    await imports.api();
  } catch (error) {
    if (!isModuleNotFound(error)) logger.warn(`OpenTelemetry is off: @opentelemetry/api failed to load (${(error as Error).message})`);
    else if (options) logger.warn('OpenTelemetry options are set, but @opentelemetry/api is not installed: telemetry is off');
    return undefined;
  }
  const entry = await imports.entry();
  return entry.createMessagingTelemetry({ options: options ?? {}, transport, events });
}
