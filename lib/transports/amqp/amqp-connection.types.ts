/**
 * The narrow slice of amqp-connection-manager and amqplib the AMQP transport relies on. The transport
 * depends on these interfaces rather than on the concrete classes so a test (or an application with
 * special needs) can hand it another implementation through `connectionFactory`. The real ACM manager,
 * amqplib `ChannelModel` and amqplib channels are structurally assignable to them.
 */

/** Message properties as amqplib decodes them; every field is checked before use, hence `unknown`. */
export interface AmqpMessagePropertiesLike {
  readonly contentType?: unknown;
  readonly contentEncoding?: unknown;
  readonly headers?: unknown;
  readonly deliveryMode?: unknown;
  readonly priority?: unknown;
  readonly correlationId?: unknown;
  readonly replyTo?: unknown;
  readonly expiration?: unknown;
  readonly messageId?: unknown;
  readonly timestamp?: unknown;
  readonly type?: unknown;
  readonly userId?: unknown;
  readonly appId?: unknown;
}

/** Method fields of a `basic.deliver`. */
export interface AmqpDeliveryFieldsLike {
  readonly deliveryTag: number;
  readonly redelivered: boolean;
  readonly exchange: string;
  readonly routingKey: string;
  readonly consumerTag?: string;
}

/** A message delivered to a consumer (amqplib `ConsumeMessage`). */
export interface AmqpDeliveredMessage {
  readonly content: Buffer;
  readonly fields: AmqpDeliveryFieldsLike;
  readonly properties: AmqpMessagePropertiesLike;
}

/** A mandatory message the broker handed back with `basic.return`. */
export interface AmqpReturnedMessage {
  readonly content: Buffer;
  readonly fields: {
    readonly exchange: string;
    readonly routingKey: string;
    readonly replyCode?: number;
    readonly replyText?: string;
  };
  readonly properties: AmqpMessagePropertiesLike;
}

/** Options of `basic.publish` the transport sets (a subset of amqplib `Options.Publish`). */
export interface AmqpPublishOptions {
  mandatory?: boolean;
  persistent?: boolean;
  messageId?: string;
  correlationId?: string;
  replyTo?: string;
  contentType?: string;
  contentEncoding?: string;
  type?: string;
  timestamp?: number;
  appId?: string;
  userId?: string;
  /** Per-message TTL in milliseconds, as the decimal string AMQP carries. */
  expiration?: string;
  priority?: number;
  headers?: Record<string, unknown>;
}

/** Options of `exchange.declare` (a subset of amqplib `Options.AssertExchange`). */
export interface AmqpAssertExchangeOptions {
  durable?: boolean;
  autoDelete?: boolean;
  internal?: boolean;
  alternateExchange?: string;
  arguments?: Record<string, unknown>;
}

/** Options of `queue.declare` (a subset of amqplib `Options.AssertQueue`). */
export interface AmqpAssertQueueOptions {
  durable?: boolean;
  exclusive?: boolean;
  autoDelete?: boolean;
  messageTtl?: number;
  maxLength?: number;
  deadLetterExchange?: string;
  deadLetterRoutingKey?: string;
  arguments?: Record<string, unknown>;
}

/** Options of `basic.consume` (a subset of amqplib `Options.Consume`). */
export interface AmqpConsumeOptions {
  consumerTag?: string;
  noAck?: boolean;
}

/** An amqplib channel, as far as topology assertion and consuming need it. */
export interface AmqpChannelLike {
  assertExchange(exchange: string, type: string, options?: AmqpAssertExchangeOptions): Promise<unknown>;
  assertQueue(queue: string, options?: AmqpAssertQueueOptions): Promise<unknown>;
  bindQueue(queue: string, source: string, pattern: string, args?: Record<string, unknown>): Promise<unknown>;
  bindExchange(destination: string, source: string, pattern: string, args?: Record<string, unknown>): Promise<unknown>;
  /** Passive declare: resolves when the exchange exists; a missing one closes the channel with a 404. */
  checkExchange(exchange: string): Promise<unknown>;
  prefetch(count: number): Promise<unknown>;
  consume(
    queue: string,
    onMessage: (message: AmqpDeliveredMessage | null) => void,
    options?: AmqpConsumeOptions,
  ): Promise<{ consumerTag: string }>;
  cancel(consumerTag: string): Promise<unknown>;
  /** `allUpTo`: also every unsettled delivery of the channel with a smaller tag (`basic.ack` multiple). */
  ack(message: AmqpDeliveredMessage, allUpTo?: boolean): void;
  nack(message: AmqpDeliveredMessage, allUpTo?: boolean, requeue?: boolean): void;
  close(): Promise<void>;
  on(event: 'close', listener: () => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
  on(event: 'drain', listener: () => void): this;
  on(event: 'return', listener: (message: AmqpReturnedMessage) => void): this;
  /**
   * Used for `close` so the transport learns a channel died before amqplib fails its pending confirm
   * callbacks; that ordering is what tells a lost confirm (re-send) from a nack (reject).
   */
  prependListener(event: 'close', listener: () => void): this;
}

/** An amqplib confirm channel: `publish` takes a callback called with `null` on ack, an error on nack/close. */
export interface AmqpConfirmChannelLike extends AmqpChannelLike {
  publish(
    exchange: string,
    routingKey: string,
    content: Buffer,
    options: AmqpPublishOptions,
    callback: (error: unknown) => void,
  ): boolean;
}

/** One broker connection (amqplib `ChannelModel`). */
export interface AmqpConnectionLike {
  createChannel(): Promise<AmqpChannelLike>;
  createConfirmChannel(): Promise<AmqpConfirmChannelLike>;
}

/** Options the transport hands to the connection factory (a subset of ACM's `AmqpConnectionManagerOptions`). */
export interface AmqpConnectionManagerOptions {
  heartbeatIntervalInSeconds: number;
  reconnectTimeInSeconds: number;
  connectionOptions?: AmqpSocketOptions;
}

/** What amqplib's `connect` takes besides the URL: client properties, TLS options, SASL credentials. */
export interface AmqpSocketOptions {
  clientProperties?: Record<string, unknown>;
  /** Disable Nagle's algorithm: request/reply round trips otherwise wait ~40 ms per hop. */
  noDelay?: boolean;
  ca?: string | Buffer | Array<string | Buffer>;
  cert?: string | Buffer;
  key?: string | Buffer;
  passphrase?: string;
  servername?: string;
  rejectUnauthorized?: boolean;
  /** amqplib's SASL credentials (e.g. `credentials.external()`); absent: PLAIN from the URL. */
  credentials?: { mechanism: string; response(): Buffer; username?: string; password?: string };
}

/**
 * The reconnecting connection (amqp-connection-manager's `AmqpConnectionManager`). Only the connection
 * is used from it; channels are managed by the transport itself.
 */
export interface AmqpConnectionManagerLike {
  /** The live connection, set before `connect` is emitted and cleared before `disconnect`. */
  readonly connection: AmqpConnectionLike | undefined;
  /**
   * Wait before the next reconnect attempt, read by amqp-connection-manager each time it schedules one.
   * When present, the transport rewrites it from its jittered backoff on every disconnect.
   */
  reconnectTimeInSeconds?: number;
  /** Starts connecting (and reconnecting forever); resolves on the first connection, rejects on timeout. */
  connect(options?: { timeout?: number }): Promise<void>;
  /** Stops reconnecting and closes the connection. */
  close(): Promise<void>;
  /** `url` is the broker URL connected to, as given (it may embed a password). */
  on(event: 'connect', listener: (arg: { url?: unknown }) => void): this;
  on(event: 'disconnect', listener: (arg: { err?: Error }) => void): this;
  on(event: 'connectFailed', listener: (arg: { err: Error }) => void): this;
  on(event: 'blocked', listener: (arg: { reason: string }) => void): this;
  on(event: 'unblocked', listener: () => void): this;
}

/** Creates the connection manager; the default builds amqp-connection-manager's. */
export type AmqpConnectionFactory = (
  urls: readonly string[],
  options: AmqpConnectionManagerOptions,
) => AmqpConnectionManagerLike;
