import { InvalidOptionsError, MessagingError, TransportConnectionError } from './messaging.errors.js';

/**
 * The broker's TLS certificate failed verification (unknown CA, wrong host name, expired), or the broker
 * refused ours. Fatal at once, like refused credentials: retrying cannot fix a certificate.
 */
export class TlsVerificationError extends TransportConnectionError {
  /** Node's TLS error code, e.g. `SELF_SIGNED_CERT_IN_CHAIN` or `ERR_TLS_CERT_ALTNAME_INVALID`. */
  readonly tlsCode: string;

  constructor(message: string, tlsCode: string, options?: { cause?: unknown }) {
    super(message, options);
    this.tlsCode = tlsCode;
  }
}

/**
 * `tls` or `auth: 'external'` was configured while some broker URL is `amqp://`. The TLS options would be
 * ignored on that URL and the connection (with the URL's password) would go in plaintext, so the transport
 * refuses at construction instead. Every URL of a cluster list is checked: a reconnect may pick any of them.
 */
export class TlsRequiresAmqpsError extends InvalidOptionsError {
  constructor(
    /** The offending URLs, passwords masked. */
    readonly plaintextUrls: readonly string[],
    /** Which option asked for TLS. */
    readonly option: 'tls' | 'auth: external',
  ) {
    super(
      `AmqpTransport: "${option}" needs amqps:// URLs, but ${plaintextUrls.join(', ')} would connect in plaintext; ` +
        'use amqps:// (usually port 5671) for every broker URL, or drop the TLS options',
    );
  }
}

/** What a publish does while the broker blocks the connection: wait for its deadline, or fail at once. */
export type BlockedPublishPolicy = 'wait' | 'fail';

/**
 * A publish could not go through because the broker blocked the connection (a memory or disk alarm).
 * With policy `fail` it is raised at once; with `wait`, when the publish deadline passed while blocked.
 */
export class ConnectionBlockedError extends MessagingError {
  readonly code = 'CONNECTION_BLOCKED';

  constructor(
    /** The broker's reason, e.g. `low on memory`. */
    readonly reason: string,
    readonly policy: BlockedPublishPolicy,
    options?: { cause?: unknown },
  ) {
    super(
      policy === 'fail'
        ? `RabbitMQ has blocked the connection (${reason}); publish refused (publisher.whenBlocked: 'fail')`
        : `RabbitMQ has blocked the connection (${reason}); the publish was not confirmed before its deadline`,
      options,
    );
  }
}

/**
 * A queue cannot be declared right now because the cluster node that holds it is down (a classic queue's
 * home node). Not a topology mistake: it is retried with a backoff while the rest of the topology runs.
 */
export class QueueUnavailableError extends MessagingError {
  readonly code = 'QUEUE_UNAVAILABLE';

  constructor(readonly queue: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
