import { AmqpConnectionManagerClass } from 'amqp-connection-manager';
import type { AmqpConnectionFactory, AmqpConnectionManagerLike } from './amqp-connection.types.js';

/**
 * The default {@link AmqpConnectionFactory}: amqp-connection-manager's manager, used only for its
 * connection handling (several broker URLs, heartbeats, reconnecting). Its `ChannelWrapper` is
 * deliberately not used; the transport supervises its own channels.
 */
export const createAmqpConnectionManager: AmqpConnectionFactory = (urls, options): AmqpConnectionManagerLike =>
  new AmqpConnectionManagerClass([...urls], options);
