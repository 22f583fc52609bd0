/**
 * Metric names: the OpenTelemetry messaging metrics in Prometheus form (`.` → `_`, unit suffix, `_total`
 * on counters), then this SDK's own. Kept as local strings so a semantic-conventions release cannot
 * rename them under the application's dashboards.
 */
export const MESSAGING_METRIC_NAMES = {
  /** OTel `messaging.client.sent.messages`. */
  sentMessages: 'messaging_client_sent_messages_total',
  /** OTel `messaging.client.consumed.messages`. */
  consumedMessages: 'messaging_client_consumed_messages_total',
  /** OTel `messaging.process.duration`. */
  processDuration: 'messaging_process_duration_seconds',
  /** OTel `messaging.client.operation.duration` (publish until the broker's confirm). */
  operationDuration: 'messaging_client_operation_duration_seconds',
  retries: 'messaging_consumer_retries_total',
  deadLetters: 'messaging_consumer_dead_letters_total',
  inFlight: 'messaging_consumer_in_flight_messages',
  consumerUp: 'messaging_consumer_up',
  buffered: 'messaging_publisher_buffered_messages',
  unconfirmed: 'messaging_publisher_unconfirmed_messages',
  connectionUp: 'messaging_connection_up',
  backlogDepth: 'messaging_queue_backlog_messages',
  backlogConsumers: 'messaging_queue_consumers',
  arrivalRate: 'messaging_queue_arrival_rate_messages_per_second',
  serviceRate: 'messaging_queue_service_rate_messages_per_second',
  timeToDrain: 'messaging_queue_time_to_drain_seconds',
  expectedWait: 'messaging_queue_expected_wait_seconds',
} as const;

/** The OpenTelemetry semantic conventions' buckets for both duration histograms, in seconds. */
export const MESSAGING_DURATION_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

/** Label names (OTel attribute names in Prometheus form). */
export const MESSAGING_METRIC_LABELS = {
  system: 'messaging_system',
  destination: 'messaging_destination_name',
  operation: 'messaging_operation_name',
  errorType: 'error_type',
  queue: 'queue',
  kind: 'kind',
} as const;

/** The direct reply-to prefix: reply addresses are per-connection, so they are collapsed into one label value. */
const REPLY_TO = 'amq.rabbitmq.reply-to';

/**
 * The destination label of a publish: the declared destination only, i.e. the exchange, `amq.default` for
 * the default exchange, and one value for every direct reply-to address. Never the routing key: a producer
 * may choose one per message, and each would be a new series (unbounded cardinality). `routingKey` is only
 * looked at to recognise a reply.
 */
export function publishDestination(exchange: string, routingKey: string): string {
  if (exchange === '' && routingKey.startsWith(REPLY_TO)) return REPLY_TO;
  return exchange || 'amq.default';
}

/** `messaging.system` for a transport kind: `rabbitmq` for AMQP, the kind itself otherwise. */
export function messagingSystem(kind: string): string {
  return kind === 'amqp' ? 'rabbitmq' : kind;
}

/** `error.type`: the error's class name, low-cardinality by construction. */
export function errorType(error: Error): string {
  return error.name && error.name !== 'Error' ? error.name : error.constructor.name || '_OTHER';
}
