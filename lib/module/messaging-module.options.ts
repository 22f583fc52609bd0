import type { UnknownTypePolicy } from '../consumer/message.dispatcher.js';
import type { AckMode } from '../decorators/consumer.decorator.js';
import type { IdempotencyOptions } from '../idempotency/idempotency.options.js';
import type { TopologyDefinition } from '../topology/index.js';
import type { MessagingTransport } from '../transports/transport.interface.js';

/** Configuration of `MessagingModule.forRoot` / `forRootAsync`. */
export interface MessagingModuleOptions {
  /**
   * The broker: `new AmqpTransport({ urls })` for RabbitMQ, `new MemoryTransport()` for an embedded broker
   * (the default) or in tests, or any other {@link MessagingTransport}. Give a factory
   * (`() => new AmqpTransport(...)`) when the same module may boot more than once in a process (e2e tests
   * that create the app in `beforeEach`): a transport starts once, so each boot needs a fresh one.
   */
  readonly transport?: MessagingTransport | (() => MessagingTransport);
  /** Exchanges, queues and bindings asserted at start and after every reconnect. */
  readonly topology?: TopologyDefinition;
  /** Defaults applied to every `@Consumer` that does not set its own. */
  readonly consumerDefaults?: {
    /** Default 10. */
    readonly prefetch?: number;
    /** Default `auto`. */
    readonly ack?: AckMode;
    /**
     * A message whose `type` no handler of its queue handles: `dead-letter` (default, kind
     * `unknown-type`) or `ack` (dropped with a warning, for queues that knowingly receive more types).
     */
    readonly unknownMessageType?: UnknownTypePolicy;
    /** Make every consumer idempotent unless it sets `idempotent: false`. Default `false`. */
    readonly idempotent?: boolean;
    /**
     * A delivery still unsettled this long after its handler took it is logged and reported as a
     * `delivery.stuck` event on `transport.events` (and counted in `stats().stuckDeliveries`); typically a
     * manual-ack handler that never settles. `0` turns it off. Default 60000 ms.
     */
    readonly stuckAfterMs?: number;
  };
  /** The inbox of idempotent consumers: its store, claim lease and retention. */
  readonly idempotency?: IdempotencyOptions;
  /** How long shutdown waits for in-flight handlers before closing anyway. Default 10000 ms. */
  readonly shutdownTimeoutMs?: number;
  /** Validate payloads against their contract before publishing. Default `true`. */
  readonly validateOnPublish?: boolean;
  /**
   * Largest message body a consumer parses; larger ones are dead-lettered unparsed with kind
   * `oversized`, so one huge message cannot exhaust the process's memory. Default 4 MiB.
   */
  readonly maxMessageBytes?: number;
  /** What dead-lettered copies record beyond the failure kind, reason and origin. */
  readonly failureHeaders?: {
    /** Record handler stack traces in `x-failure-stack`. Default `false`: stacks leak code layout. */
    readonly stack?: boolean;
  };
}

/** The defaults, in one place so the README and the code cannot disagree. */
export const MESSAGING_DEFAULTS = {
  prefetch: 10,
  ack: 'auto',
  unknownMessageType: 'dead-letter',
  idempotent: false,
  stuckAfterMs: 60_000,
  shutdownTimeoutMs: 10_000,
  validateOnPublish: true,
  maxMessageBytes: 4 * 1024 * 1024,
  failureStack: false,
} as const;
