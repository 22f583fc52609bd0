/**
 * Names from the OpenTelemetry messaging semantic conventions, kept as local strings: the conventions are
 * still in development and their generated constants (`@opentelemetry/semantic-conventions/incubating`)
 * change in minor releases. We follow the 1.45 names: `messaging.system.name` (was `messaging.system`)
 * and `rabbitmq.destination.routing_key` (was `messaging.rabbitmq.destination.routing_key`).
 */
export const MESSAGING_ATTRIBUTES = {
  systemName: 'messaging.system.name',
  operationName: 'messaging.operation.name',
  operationType: 'messaging.operation.type',
  destinationName: 'messaging.destination.name',
  destinationTemporary: 'messaging.destination.temporary',
  messageId: 'messaging.message.id',
  conversationId: 'messaging.message.conversation_id',
  bodySize: 'messaging.message.body.size',
  routingKey: 'rabbitmq.destination.routing_key',
  errorType: 'error.type',
  /** The broker's host, from the transport's connection URL (never its credentials). */
  serverAddress: 'server.address',
  serverPort: 'server.port',
} as const;

/**
 * Attributes and span events of this library, outside the conventions, under its own namespace so they
 * can never collide with a future convention.
 */
export const LIBRARY_ATTRIBUTES = {
  /** How the delivery was settled: acked, nacked, requeued, retried, dead-lettered, pending. */
  outcome: 'nestjs_messaging.outcome',
  /** Which delivery of the message this is, from 1. */
  attempt: 'nestjs_messaging.attempt',
  /** The handler (`Class.method`). */
  consumer: 'nestjs_messaging.consumer',
  /** The contract name (the AMQP `type` property). */
  messageType: 'nestjs_messaging.message.type',
  /** Why a message was dead-lettered: handler, decode, validation, poison, unknown-type, ... */
  failureKind: 'nestjs_messaging.failure.kind',
  /** The connection's transport state (created, starting, running, closing, closed). */
  transportState: 'nestjs_messaging.transport.state',
  retryDelayMs: 'nestjs_messaging.retry.delay_ms',
  deadLetterReason: 'nestjs_messaging.dead_letter.reason',
  deadLetterOutcome: 'nestjs_messaging.dead_letter.outcome',
} as const;

/** Span event names of this library. */
export const LIBRARY_EVENTS = {
  retryScheduled: 'nestjs_messaging.retry_scheduled',
  deadLettered: 'nestjs_messaging.dead_lettered',
} as const;

/** Metric names: the conventions' four, then this library's. */
export const MESSAGING_METRICS = {
  sent: 'messaging.client.sent.messages',
  consumed: 'messaging.client.consumed.messages',
  processDuration: 'messaging.process.duration',
  operationDuration: 'messaging.client.operation.duration',
  retries: 'nestjs_messaging.retries',
  deadLetters: 'nestjs_messaging.dead_letters',
  inFlight: 'nestjs_messaging.in_flight',
  buffered: 'nestjs_messaging.publish.buffered',
  unconfirmed: 'nestjs_messaging.publish.unconfirmed',
  connected: 'nestjs_messaging.connection.up',
  consumers: 'nestjs_messaging.consumers',
} as const;

/** The conventions' bucket boundaries (seconds) for both messaging duration histograms. */
export const DURATION_BUCKETS_SECONDS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

/** The instrumentation scope name of tracers and meters. */
export const INSTRUMENTATION_SCOPE = 'nestjs-typed-messaging';
