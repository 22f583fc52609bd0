/**
 * The `nestjs-typed-messaging/testing` entry point: what tests (and transport authors) need and
 * applications do not. Keeping it out of the root export keeps the public API small: these are the
 * structural slices of amqplib and amqp-connection-manager the AMQP transport depends on, to implement
 * a fake broker and hand it to `AmqpTransport` through its `connectionFactory` option, and the default
 * factory, to wrap the real connection (spy on channels, inject faults).
 */
export type {
  AmqpAssertExchangeOptions,
  AmqpAssertQueueOptions,
  AmqpChannelLike,
  AmqpConfirmChannelLike,
  AmqpConnectionFactory,
  AmqpConnectionLike,
  AmqpConnectionManagerLike,
  AmqpConnectionManagerOptions,
  AmqpConsumeOptions,
  AmqpDeliveredMessage,
  AmqpDeliveryFieldsLike,
  AmqpMessagePropertiesLike,
  AmqpPublishOptions,
  AmqpReturnedMessage,
} from '../transports/amqp/amqp-connection.types.js';
export { createAmqpConnectionManager } from '../transports/amqp/amqp-connection.factory.js';
