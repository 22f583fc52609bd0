/**
 * Every injection token and metadata key of the module, in one place. Tokens not exported from the
 * package root are internal: applications use the classes and decorators instead.
 */

/** Injection token of the resolved {@link MessagingModuleOptions} (`forRoot`/`forRootAsync`). */
export const MESSAGING_OPTIONS = 'MESSAGING_MODULE_OPTIONS';

/** Injection token of the active {@link MessagingTransport}. */
export const MESSAGING_TRANSPORT = Symbol('MESSAGING_TRANSPORT');

/** Metadata key under which `@Consumer` stores its declaration on the handler method. */
export const CONSUMER_METADATA = 'messaging:consumer';

/** Metadata key under which `@OnMessagingEvent` stores the event name on a method. */
export const MESSAGING_EVENT_METADATA = 'messaging:event';

/**
 * Internal: the publisher as the always-global core module provides it, so `forFeature` producers resolve
 * even when the root module is not global.
 */
export const MESSAGING_CORE_PUBLISHER = Symbol('MESSAGING_CORE_PUBLISHER');

/** Internal: the event bus as the core module provides it. */
export const MESSAGING_CORE_EVENTS = Symbol('MESSAGING_CORE_EVENTS');

/** Internal: the transport as the core module provides it. */
export const MESSAGING_CORE_TRANSPORT = Symbol('MESSAGING_CORE_TRANSPORT');

/**
 * Internal: the OpenTelemetry hooks (publish and consume middlewares), or undefined when telemetry is off
 * or `@opentelemetry/api` is not installed. Resolved asynchronously, by a dynamic import, at module init.
 */
export const MESSAGING_CORE_TELEMETRY = Symbol('MESSAGING_CORE_TELEMETRY');

/** Internal: the `DeadLetters` service as the core module provides it. */
export const MESSAGING_CORE_DEAD_LETTERS = Symbol('MESSAGING_CORE_DEAD_LETTERS');

/** Internal: the `MessagingStatus` service as the core module provides it. */
export const MESSAGING_CORE_STATUS = Symbol('MESSAGING_CORE_STATUS');

/** Internal: the `BacklogMonitor` as the core module provides it. */
export const MESSAGING_CORE_BACKLOG = Symbol('MESSAGING_CORE_BACKLOG');
