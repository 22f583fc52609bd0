import type { Logger } from '@nestjs/common';
import { TlsVerificationError, TransportConnectionError } from '../../errors/index.js';
import type { TransportEvents } from '../transport.events.js';
import type { AmqpConnectionLike, AmqpConnectionManagerLike } from './amqp-connection.types.js';
import { errorMessage } from './error-message.util.js';
import { redactUrl } from './amqp-url.redactor.js';
import type { BackoffPolicy } from './backoff.policy.js';

/** Something that keeps channels on the current connection: a channel supervisor. */
export interface ConnectionAttachable {
  attach(connection: AmqpConnectionLike): void;
  detach(): void;
}

/**
 * Follows the connection manager's connects and disconnects, logs them, and hands every new connection
 * to the registered channel supervisors (in registration order: topology, publishers, consumers).
 */
export class AmqpConnectionMonitor {
  private readonly attachables = new Set<ConnectionAttachable>();
  private connection: AmqpConnectionLike | undefined;
  private everConnected = false;
  private closed = false;
  private lastConnectError: Error | undefined;
  private failFast: ((error: Error) => void) | undefined;
  /** Reconnect attempts since the last connection, for the jittered backoff. */
  private reconnectAttempt = 0;
  private blockedState: { reason: string; since: number } | undefined;
  private lostAt: number | undefined;

  constructor(
    private readonly manager: AmqpConnectionManagerLike,
    private readonly urls: readonly string[],
    private readonly backoff: BackoffPolicy,
    private readonly logger: Logger,
    private readonly events?: TransportEvents,
  ) {
    manager.on('connect', ({ url }) => this.onConnect(url));
    manager.on('disconnect', ({ err }) => this.onDisconnect(err));
    manager.on('connectFailed', ({ err }) => this.onConnectFailed(err));
    manager.on('blocked', ({ reason }) => this.onBlocked(String(reason)));
    manager.on('unblocked', () => this.onUnblocked());
  }

  /** The live connection, if any (for socket settings such as disabling Nagle on request/reply paths). */
  get current(): AmqpConnectionLike | undefined {
    return this.connection;
  }

  get connected(): boolean {
    return this.connection !== undefined;
  }

  /** The broker's reason while it blocks the connection (a resource alarm), else `undefined`. */
  get blockedReason(): string | undefined {
    return this.blockedState?.reason;
  }

  /** Attaches now if connected, and on every later connection. */
  register(attachable: ConnectionAttachable): void {
    this.attachables.add(attachable);
    if (this.connection) attachable.attach(this.connection);
  }

  unregister(attachable: ConnectionAttachable): void {
    this.attachables.delete(attachable);
  }

  /**
   * Waits for the first connection. Refused credentials fail at once rather than after `timeoutMs`,
   * since retrying cannot fix them.
   *
   * @throws TransportConnectionError naming the URLs (passwords masked) and the last failure.
   */
  async connect(timeoutMs: number): Promise<void> {
    const refused = new Promise<never>((_resolve, reject) => {
      this.failFast = reject;
    });
    try {
      await Promise.race([this.manager.connect({ timeout: timeoutMs }), refused]);
    } catch (error) {
      const cause = this.lastConnectError ?? error;
      const where = this.urls.map(redactUrl).join(', ');
      const tlsCode = tlsFailureCode(cause);
      if (tlsCode !== undefined) {
        throw new TlsVerificationError(`TLS with RabbitMQ at ${where} failed (${tlsCode}): ${errorMessage(cause)}`, tlsCode, {
          cause,
        });
      }
      const message = isAuthFailure(cause)
        ? `RabbitMQ at ${where} refused the credentials: ${errorMessage(cause)}`
        : `Could not connect to RabbitMQ at ${where} within ${timeoutMs} ms: ${errorMessage(cause)}`;
      throw new TransportConnectionError(message, { cause });
    } finally {
      this.failFast = undefined;
    }
  }

  /** Stops reconnecting and closes the connection; channels must be closed first. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.connection = undefined;
    for (const attachable of this.attachables) attachable.detach();
    this.attachables.clear();
    await this.manager.close();
  }

  private onConnect(url: unknown): void {
    const connection = this.manager.connection;
    if (this.closed || !connection) return;
    this.connection = connection;
    this.lastConnectError = undefined;
    this.reconnectAttempt = 0;
    const redacted = typeof url === 'string' ? redactUrl(url) : 'RabbitMQ';
    this.logger.log(`${this.everConnected ? 'Reconnected' : 'Connected'} to RabbitMQ at ${redacted}`);
    if (this.everConnected) this.events?.emit('connection.reconnected', { url: redacted, downtimeMs: Date.now() - (this.lostAt ?? Date.now()) });
    else this.events?.emit('connection.connected', { url: redacted });
    this.everConnected = true;
    for (const attachable of this.attachables) attachable.attach(connection);
  }

  private onDisconnect(error: Error | undefined): void {
    if (this.closed) return;
    this.connection = undefined;
    // A block belongs to its connection; the next one starts unblocked until the broker says otherwise.
    if (this.blockedState) this.onUnblocked();
    this.scheduleReconnectDelay();
    for (const attachable of this.attachables) attachable.detach();
    this.logger.warn(`Lost the RabbitMQ connection${error ? `: ${error.message}` : ''}; reconnecting`);
    this.lostAt = Date.now();
    this.events?.emit('connection.lost', { error });
  }

  private onConnectFailed(error: Error): void {
    if (this.closed) return;
    this.lastConnectError = error;
    this.scheduleReconnectDelay();
    if ((isAuthFailure(error) || tlsFailureCode(error) !== undefined) && this.failFast) {
      this.failFast(error);
      return;
    }
    this.logger.warn(`Could not connect to RabbitMQ: ${error.message}; retrying`);
  }

  private onBlocked(reason: string): void {
    if (this.closed || this.blockedState) return;
    this.blockedState = { reason, since: Date.now() };
    this.logger.warn(`RabbitMQ blocked the connection (${reason}); publishing stalls until it is unblocked`);
    this.events?.emit('connection.blocked', { reason, at: new Date() });
  }

  private onUnblocked(): void {
    const state = this.blockedState;
    if (!state) return;
    this.blockedState = undefined;
    const blockedForMs = Date.now() - state.since;
    this.logger.log(`RabbitMQ unblocked the connection after ${blockedForMs} ms`);
    this.events?.emit('connection.unblocked', { at: new Date(), blockedForMs });
  }

  /**
   * amqp-connection-manager waits a fixed `reconnectTimeInSeconds` before every reconnect, reading the
   * property right after it emits `disconnect` / `connectFailed`. Setting it here, from the jittered
   * backoff, spreads the reconnects of many clients after a broker restart and slows them down while the
   * broker stays away.
   */
  private scheduleReconnectDelay(): void {
    if (this.manager.reconnectTimeInSeconds === undefined) return;
    this.manager.reconnectTimeInSeconds = this.backoff(this.reconnectAttempt++) / 1000;
  }
}

/** amqplib reports refused credentials as "403 (ACCESS-REFUSED)"; some brokers/proxies say 401. */
function isAuthFailure(error: unknown): boolean {
  return /ACCESS[-_]REFUSED|\b40[13]\b/.test(errorMessage(error));
}

/** Node's codes for a certificate that failed verification, either side. */
const TLS_VERIFY_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * The TLS code when `error` says a certificate failed verification (ours refused by the broker shows up
 * as an OpenSSL alert: `ERR_SSL_..._ALERT_...CERTIFICATE...`), else `undefined`. Retrying cannot fix those.
 */
function tlsFailureCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const code = error.code;
  if (typeof code !== 'string') return undefined;
  if (TLS_VERIFY_CODES.has(code)) return code;
  return /^ERR_SSL_.*ALERT_(BAD|UNKNOWN|UNSUPPORTED|CERTIFICATE)/.test(code) ? code : undefined;
}
