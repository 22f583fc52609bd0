import type { AmqpManagementOptions } from './amqp-management.counters.js';
import type { BlockedPublishPolicy } from '../../errors/index.js';
import type { AmqpConnectionFactory } from './amqp-connection.types.js';

/** How a publish picks one of the publisher channels. */
export type PublisherStrategy = 'least-loaded' | 'round-robin';

/**
 * What a send does when the publish buffer is full: `wait` for room (backpressure: sends queue up in call
 * order until their `publishTimeoutMs`), or `fail` at once with `PublishBufferFullError`.
 */
export type BufferFullPolicy = 'wait' | 'fail';

/** Tuning of the publisher channel pool and its bounded offline buffer. */
export interface AmqpPublisherOptions {
  /** Number of confirm channels publishes are spread over. Default `2`. */
  readonly channels?: number;
  /**
   * Which channel an ordering key (`OutboundMessage.orderingKey`, default exchange + routing key) is
   * pinned to when it has nothing outstanding; its messages then stay on that channel until all are
   * settled, which keeps them in order. `least-loaded` (default) picks the channel with the smallest
   * backlog (unconfirmed + waiting), so new keys avoid a slow channel; `round-robin` rotates over the
   * channels regardless of load. Messages of one key are never spread over channels.
   */
  readonly strategy?: PublisherStrategy;
  /** Messages sent but not yet confirmed allowed per channel; more wait in the buffer. Default `1000`. */
  readonly maxUnconfirmedPerChannel?: number;
  /**
   * Messages that may wait for a channel (while disconnected, or while every channel is at its
   * unconfirmed limit). What a send does beyond it is `whenBufferFull`'s choice. Default `10000`.
   */
  readonly bufferSize?: number;
  /**
   * When the buffer is full: `wait` (default) makes a send wait for room, in call order, until its
   * `publishTimeoutMs` (then `PublishTimeoutError` with phase `waiting`), so a burst of sends (say a
   * `Promise.all` of 100k) is paced by the broker instead of refused; `fail` rejects it at once with
   * `PublishBufferFullError` (fail fast, e.g. to shed load). Either way `buffer.full` is emitted.
   */
  readonly whenBufferFull?: BufferFullPolicy;
  /**
   * Deadline of every publish, from the call until the broker's confirm (time spent waiting for room in a
   * full buffer included); it then rejects with `PublishTimeoutError`. Default `30000`. A send that times
   * out unconfirmed keeps its room under `maxUnconfirmedPerChannel` until the broker answers it (amqplib
   * still holds it); a channel that leaves one unanswered for `publishTimeoutMs` more is recycled.
   */
  readonly publishTimeoutMs?: number;
  /**
   * While the broker blocks the connection (a memory or disk alarm, see the `connection.blocked` event):
   * `wait` (default) lets publishes wait until their `publishTimeoutMs`, then fail with
   * `ConnectionBlockedError`; `fail` rejects new publishes at once with `ConnectionBlockedError`.
   */
  readonly whenBlocked?: BlockedPublishPolicy;
}

/** Which connection consumer channels live on. */
export type AmqpConsumerConnectionMode = 'separate' | 'shared';

/** How consumers talk to the broker. */
export interface AmqpConsumerTransportOptions {
  /**
   * `separate` (default): consumer channels get a connection of their own, named `<connectionName>:consume`
   * and opened with the first consumer, so the broker's flow control on a busy publishing connection
   * (and a resource alarm blocking it) never holds up deliveries and acks. `shared`: one connection
   * for everything, as a publish-light service may prefer to halve its connections.
   */
  readonly connection?: AmqpConsumerConnectionMode;
  /**
   * Acknowledge runs of consecutive deliveries with one `basic.ack(multiple)` at the end of each I/O turn
   * instead of one frame per message. A nack is always sent alone, after the acks waiting before it;
   * a multi-ack never covers a delivery still being handled. Default `true`.
   */
  readonly coalesceAcks?: boolean;
}

/** PEM text or bytes, as Node's `tls.connect` takes them. */
export type PemInput = string | Buffer;

/**
 * TLS for `amqps://` URLs, handed to Node's `tls.connect`. Without `ca` the system's trusted CAs apply
 * (and `NODE_EXTRA_CA_CERTS`). A certificate that fails verification fails `start()` at once with
 * `TlsVerificationError`.
 */
export interface AmqpTlsOptions {
  /** CA certificate(s) trusted to sign the broker's certificate. */
  readonly ca?: PemInput | readonly PemInput[];
  /** Client certificate chain, for mutual TLS. */
  readonly cert?: PemInput;
  /** The client certificate's private key. Never logged. */
  readonly key?: PemInput;
  /** Passphrase of an encrypted `key`. Never logged. */
  readonly passphrase?: string;
  /** Host name checked against the broker's certificate (SNI). Default: the URL's host when it is a name. */
  readonly servername?: string;
  /** Default `true`. `false` accepts any certificate: for throwaway test setups only. */
  readonly rejectUnauthorized?: boolean;
}

/** Configuration of {@link AmqpTransport}. Only `urls` is required. */
export interface AmqpTransportOptions {
  /**
   * Broker URL(s), e.g. `amqp://user:pass@host:5672/vhost`. With several, reconnects rotate through
   * them (cluster nodes). Passwords never appear in logs or errors.
   */
  readonly urls: string | readonly string[];
  /** Heartbeat interval negotiated with the broker, detecting dead peers. Default `10`. */
  readonly heartbeatSeconds?: number;
  /**
   * Base of the exponential backoff (with equal jitter: each wait is between half and all of its step,
   * capped at 32 times the base and 30 s) used to reconnect after a connection loss and to reopen
   * channels the broker closed. Default `1000`.
   */
  readonly reconnectDelayMs?: number;
  /**
   * How long `start()` waits for the first connection (and then for the topology to be asserted)
   * before failing with `TransportConnectionError`. Default `10000`. It also bounds every other wait
   * for a broker answer outside a publish: an exchange probe, a consumer's basic.cancel, a channel
   * close and the connection close (a broker that stops answering is logged and left behind).
   */
  readonly connectTimeoutMs?: number;
  /** Name shown for the connection in the RabbitMQ management UI. */
  readonly connectionName?: string;
  /**
   * TLS options for `amqps://` URLs: CA, client certificate and key, servername, verification. Every URL
   * must then be `amqps://`: with an `amqp://` one the constructor throws `TlsRequiresAmqpsError` rather
   * than connect in plaintext. The same holds for `auth: 'external'`.
   */
  readonly tls?: AmqpTlsOptions;
  /**
   * SASL mechanism: `plain` (default, user and password from the URL) or `external` (the broker takes
   * the identity from the client certificate; needs `tls.cert`/`tls.key` and the broker's
   * rabbitmq_auth_mechanism_ssl plugin).
   */
  readonly auth?: 'plain' | 'external';
  /** Publisher pool and offline buffer tuning. */
  readonly publisher?: AmqpPublisherOptions;
  /** Consumer connection and acknowledgement tuning. */
  readonly consumer?: AmqpConsumerTransportOptions;
  /** How long `close()` waits for buffered and unconfirmed publishes to settle. Default `10000`. */
  readonly closeTimeoutMs?: number;
  /**
   * The RabbitMQ management API (optional; the plugin may be off): `queueStatus` then also reports the
   * queue's own publish and ack counters, which the backlog monitor turns into exact queue-wide rates.
   * Without it, or while it cannot answer, the monitor estimates from its consumers' share.
   */
  readonly management?: AmqpManagementOptions;
  /**
   * How long a failed message waits, holding its consumer slot, before it is requeued because its
   * dead-letter copy could not be published (no queue bound to the dead-letter exchange, the broker
   * refused it, the connection is down), by delivery attempt from 1. The wait keeps a message whose
   * dead-lettering keeps failing from spinning. Default: 1 s doubling per attempt, at most 30 s
   * (`defaultRequeueDelayMs`). A result that is not a finite non-negative number counts as the default.
   */
  readonly deadLetterRequeueDelayMs?: (attempt: number) => number;
  /**
   * Creates the connection manager. Defaults to amqp-connection-manager; override to inject a fake in
   * tests or to customise the connection. Its type and the connection types it returns come from
   * `nestjs-typed-messaging/testing` (`AmqpConnectionFactory`, `AmqpConnectionManagerLike`, ...), along
   * with the default factory, `createAmqpConnectionManager`, for wrapping the real connection. It is
   * called once per connection (the main one, then the consumers' own unless `consumer.connection` is
   * `shared`) and must return a new manager each time: the transport closes each one on its own.
   */
  readonly connectionFactory?: AmqpConnectionFactory;
}

/** {@link AmqpTransportOptions} with every default applied and every value checked. */
export interface ResolvedAmqpTransportOptions {
  readonly urls: readonly string[];
  readonly heartbeatSeconds: number;
  readonly reconnectDelayMs: number;
  readonly connectTimeoutMs: number;
  readonly connectionName: string | undefined;
  readonly tls: AmqpTlsOptions | undefined;
  readonly auth: 'plain' | 'external';
  readonly publisher: Required<AmqpPublisherOptions>;
  readonly consumer: Required<AmqpConsumerTransportOptions>;
  readonly closeTimeoutMs: number;
  readonly connectionFactory: AmqpConnectionFactory | undefined;
  readonly deadLetterRequeueDelayMs: (attempt: number) => number;
}
