import { createAmqpConnectionManager } from './amqp-connection.factory.js';
import { credentials } from 'amqplib';
import type { AmqpConnectionManagerLike, AmqpConnectionManagerOptions, AmqpSocketOptions } from './amqp-connection.types.js';
import type { ResolvedAmqpTransportOptions } from './amqp-transport.options.js';

/** Translates the transport's resolved options into what the connection manager is created with. */
export function amqpManagerOptions(options: ResolvedAmqpTransportOptions): AmqpConnectionManagerOptions {
  const { heartbeatSeconds, reconnectDelayMs, connectionName } = options;
  const managerOptions: AmqpConnectionManagerOptions = {
    heartbeatIntervalInSeconds: heartbeatSeconds,
    reconnectTimeInSeconds: reconnectDelayMs / 1000,
  };
  // Nagle stays on for throughput; the request channel turns it off when request/reply is used.
  const socket: AmqpSocketOptions = {};
  if (connectionName !== undefined) socket.clientProperties = { connection_name: connectionName };
  const tls = options.tls;
  if (tls !== undefined) {
    if (tls.ca !== undefined) socket.ca = typeof tls.ca === 'string' || Buffer.isBuffer(tls.ca) ? [tls.ca] : [...tls.ca];
    if (tls.cert !== undefined) socket.cert = tls.cert;
    if (tls.key !== undefined) socket.key = tls.key;
    if (tls.passphrase !== undefined) socket.passphrase = tls.passphrase;
    if (tls.servername !== undefined) socket.servername = tls.servername;
    if (tls.rejectUnauthorized !== undefined) socket.rejectUnauthorized = tls.rejectUnauthorized;
  }
  // EXTERNAL: the broker takes the identity from the client certificate, so no password is sent at all.
  if (options.auth === 'external') socket.credentials = credentials.external();
  if (Object.keys(socket).length > 0) managerOptions.connectionOptions = socket;
  return managerOptions;
}

/** Creates the connection manager with the configured factory (amqp-connection-manager by default). */
export function createAmqpManager(options: ResolvedAmqpTransportOptions): AmqpConnectionManagerLike {
  const factory = options.connectionFactory ?? createAmqpConnectionManager;
  return factory(options.urls, amqpManagerOptions(options));
}
