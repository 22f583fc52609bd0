import { createAmqpConnectionManager } from './amqp-connection.factory.js';
import type { AmqpConnectionManagerLike, AmqpConnectionManagerOptions } from './amqp-connection.types.js';
import type { ResolvedAmqpTransportOptions } from './amqp-transport.options.js';

/** Translates the transport's resolved options into what the connection manager is created with. */
export function amqpManagerOptions(options: ResolvedAmqpTransportOptions): AmqpConnectionManagerOptions {
  const { heartbeatSeconds, reconnectDelayMs, connectionName } = options;
  const managerOptions: AmqpConnectionManagerOptions = {
    heartbeatIntervalInSeconds: heartbeatSeconds,
    reconnectTimeInSeconds: reconnectDelayMs / 1000,
  };
  if (connectionName !== undefined) {
    managerOptions.connectionOptions = { clientProperties: { connection_name: connectionName } };
  }
  return managerOptions;
}

/** Creates the connection manager with the configured factory (amqp-connection-manager by default). */
export function createAmqpManager(options: ResolvedAmqpTransportOptions): AmqpConnectionManagerLike {
  const factory = options.connectionFactory ?? createAmqpConnectionManager;
  return factory(options.urls, amqpManagerOptions(options));
}
