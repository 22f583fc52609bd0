/** AMQP 0-9-1 exchange kinds; the in-memory transport routes all four the same way RabbitMQ does. */
export type ExchangeType = 'direct' | 'topic' | 'fanout' | 'headers';

/** Value accepted in `x-*` arguments and binding arguments. */
export type ArgumentValue = string | number | boolean | null;

/** An exchange to assert at start and after every reconnect. */
export interface ExchangeDefinition {
  readonly name: string;
  readonly type: ExchangeType;
  /** Survives a broker restart. Default `true`. */
  readonly durable?: boolean;
  /** Deleted by the broker when its last binding goes. Default `false`. */
  readonly autoDelete?: boolean;
  /** Cannot be published to directly, only reached through exchange-to-exchange bindings. */
  readonly internal?: boolean;
  /** Where messages that this exchange cannot route are sent instead of being returned. */
  readonly alternateExchange?: string;
  /** Extra `x-*` arguments passed verbatim to the broker. */
  readonly arguments?: Readonly<Record<string, ArgumentValue>>;
}

/** What a queue does when it reaches `maxLength`/`maxLengthBytes`. */
export type QueueOverflow = 'drop-head' | 'reject-publish' | 'reject-publish-dlx';

/** A queue to assert at start and after every reconnect. */
export interface QueueDefinition {
  readonly name: string;
  /** `classic` (default) or `quorum` (replicated; must be durable, cannot be exclusive or auto-delete). */
  readonly type?: 'classic' | 'quorum';
  /** Survives a broker restart. Default `true`. */
  readonly durable?: boolean;
  readonly exclusive?: boolean;
  readonly autoDelete?: boolean;
  /** Per-message time to live in milliseconds (`x-message-ttl`); expired messages are dead-lettered. */
  readonly messageTtl?: number;
  /** Maximum number of ready messages (`x-max-length`). */
  readonly maxLength?: number;
  /** Maximum total body size of ready messages (`x-max-length-bytes`). */
  readonly maxLengthBytes?: number;
  /** Behaviour once a length limit is hit (`x-overflow`). Broker default: `drop-head`. */
  readonly overflow?: QueueOverflow;
  /** Exchange that receives rejected, expired and overflowed messages (`x-dead-letter-exchange`). */
  readonly deadLetterExchange?: string;
  /** Routing key used when dead-lettering; the original key is kept when omitted. */
  readonly deadLetterRoutingKey?: string;
  /**
   * Set to `true` when another application (or an operator) binds this queue's `deadLetterExchange` to
   * its queues, outside this topology. Without it, a dead-letter exchange from which no declared binding
   * path reaches a declared queue (for `deadLetterRoutingKey` on a direct or topic exchange: a binding
   * whose key matches it) is a `TopologyError` at start, because failed messages would have nowhere to go.
   * Either way nothing is lost at run time: a dead-letter copy the broker cannot route leaves the message
   * in its queue, requeued after a backoff.
   */
  readonly deadLetterRoutedElsewhere?: boolean;
  /**
   * Where the SDK's dead-letter copies of this queue's failures go when it has no `deadLetterExchange`:
   * a queue name, reached through the default exchange. The module sets it to `<name>.error` for every
   * consumed queue without a dead-letter setting (declaring that queue), so no failure is discarded by
   * default; `false` opts out (failures are then discarded, with an error log). It changes nothing on
   * the broker: the queue's own arguments stay as declared, and the broker's own dead-lettering
   * (`nack` without requeue, TTL expiry) still needs `deadLetterExchange`.
   */
  readonly errorQueue?: string | false;
  /** Extra `x-*` arguments passed verbatim to the broker. */
  readonly arguments?: Readonly<Record<string, ArgumentValue>>;
}

/** Routes messages from an exchange to a queue (or, with `toExchange`, to another exchange). */
export interface BindingDefinition {
  /** Source exchange. */
  readonly exchange: string;
  /** Destination queue. Exactly one of `queue` and `toExchange` must be given. */
  readonly queue?: string;
  /** Destination exchange, for exchange-to-exchange bindings. */
  readonly toExchange?: string;
  /** Binding key (pattern for topic exchanges). Default `''`. */
  readonly routingKey?: string;
  /** Binding arguments, e.g. `x-match` and header values for headers exchanges. */
  readonly arguments?: Readonly<Record<string, ArgumentValue>>;
}

/** The whole declared topology of an application. */
export interface TopologyDefinition {
  readonly exchanges?: readonly ExchangeDefinition[];
  readonly queues?: readonly QueueDefinition[];
  readonly bindings?: readonly BindingDefinition[];
}
