import { createAmqpConnectionManager } from './amqp-connection.factory.js';
import { credentials } from 'amqplib';
import type { AmqpConnectionManagerLike, AmqpConnectionManagerOptions, AmqpSocketOptions } from './amqp-connection.types.js';
import type { ResolvedAmqpTransportOptions } from './amqp-transport.options.js';

/** Which of the transport's connections a manager is for: the main one, or the consumers' own. */
export type AmqpConnectionRole = 'main' | 'consume';

/** The name the broker shows for a connection: the user's `connectionName`, plus `:consume` for consumers'. */
export function connectionNameFor(connectionName: string | undefined, role: AmqpConnectionRole): string | undefined {
  if (connectionName === undefined) return undefined;
  return role === 'consume' ? `${connectionName}:consume` : connectionName;
}

/** Translates the transport's resolved options into what the connection manager is created with. */
export function amqpManagerOptions(options: ResolvedAmqpTransportOptions, role: AmqpConnectionRole = 'main'): AmqpConnectionManagerOptions {
  const { heartbeatSeconds, reconnectDelayMs } = options;
  const connectionName = connectionNameFor(options.connectionName, role);
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
export function createAmqpManager(options: ResolvedAmqpTransportOptions, role: AmqpConnectionRole = 'main'): AmqpConnectionManagerLike {
  const factory = options.connectionFactory ?? createAmqpConnectionManager;
  return factory(options.urls, amqpManagerOptions(options, role));
}
