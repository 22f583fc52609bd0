export { AmqpTransport, type AmqpTransportState, type AmqpTransportStats } from './amqp.transport.js';
export type { AmqpTransportDescription } from './amqp-transport.description.js';
export type { AmqpManagementOptions } from './amqp-management.counters.js';
export type {
  AmqpConsumerConnectionMode,
  AmqpConsumerTransportOptions,
  AmqpPublisherOptions,
  AmqpTlsOptions,
  AmqpTransportOptions,
  BufferFullPolicy,
  PemInput,
  PublisherStrategy,
} from './amqp-transport.options.js';
// The Amqp*Like connection types (and AmqpConnectionFactory, the type of the `connectionFactory` option)
// are exported from the `nestjs-typed-messaging/testing` entry point (lib/testing), not from here.
