export { AmqpTransport, type AmqpTransportState, type AmqpTransportStats } from './amqp.transport.js';
export type { AmqpPublisherOptions, AmqpTransportOptions, PublisherStrategy } from './amqp-transport.options.js';
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
} from './amqp-connection.types.js';
