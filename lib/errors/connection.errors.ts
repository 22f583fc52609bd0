import { MessagingError, TransportConnectionError } from './messaging.errors.js';

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
