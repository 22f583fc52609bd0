import type { AckMode } from '../decorators/consumer.decorator.js';
import type { TopologyDefinition } from '../topology/index.js';
import type { MessagingTransport } from '../transports/transport.interface.js';

/** Configuration of `MessagingModule.forRoot` / `forRootAsync`. */
export interface MessagingModuleOptions {
  /**
   * The broker to use: `new AmqpTransport({ urls })` for RabbitMQ, `new MemoryTransport()` for an
   * embedded broker (the default) or in tests, or any other {@link MessagingTransport}.
   */
  readonly transport?: MessagingTransport;
  /** Exchanges, queues and bindings asserted at start and after every reconnect. */
  readonly topology?: TopologyDefinition;
  /** Defaults applied to every `@Consumer` that does not set its own. */
  readonly consumerDefaults?: {
    /** Default 10. */
    readonly prefetch?: number;
    /** Default `auto`. */
    readonly ack?: AckMode;
  };
  /** How long shutdown waits for in-flight handlers before closing anyway. Default 10000 ms. */
  readonly shutdownTimeoutMs?: number;
  /** Validate payloads against their contract before publishing. Default `true`. */
  readonly validateOnPublish?: boolean;
}

/** The defaults, in one place so the README and the code cannot disagree. */
export const MESSAGING_DEFAULTS = {
  prefetch: 10,
  ack: 'auto',
  shutdownTimeoutMs: 10_000,
  validateOnPublish: true,
} as const;
