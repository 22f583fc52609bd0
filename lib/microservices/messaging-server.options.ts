import type { RetryPolicy } from '../retry/retry-policy.types.js';
import type { AckMode } from '../decorators/consumer.decorator.js';
import type { UnknownTypePolicy } from '../consumer/message.dispatcher.js';
import type { TopologyDefinition } from '../topology/index.js';
import type { MessagingTransport } from '../transports/transport.interface.js';

/** Options of {@link MessagingServer}. */
export interface MessagingServerOptions {
  /** The broker: an instance, or a factory called at `listen()`. */
  readonly transport: MessagingTransport | (() => MessagingTransport);
  /**
   * Start the transport at `listen()` and close it at `close()`. Default `true`. Set `false` to share a
   * transport another owner starts and closes (e.g. the `MemoryTransport` of the app's MessagingModule).
   */
  readonly ownsTransport?: boolean;
  /** Exchanges, queues and bindings asserted when the server starts its transport. */
  readonly topology?: TopologyDefinition;
  /** Queue of handlers whose extras name none. */
  readonly queue?: string;
  /** Default prefetch of a queue (extras may set their own). Default 200 (`MESSAGING_DEFAULTS.prefetch`). */
  readonly prefetch?: number;
  /** Default ack mode. Default `auto`. */
  readonly ack?: AckMode;
  /** A message whose pattern no handler of its queue has. Default `dead-letter`. */
  readonly unknownMessageType?: UnknownTypePolicy;
  /** Larger bodies are dead-lettered unparsed. Default 4 MiB. */
  readonly maxMessageBytes?: number;
  /** Record handler stacks in dead-lettered copies. Default `false`. */
  readonly failureHeaders?: { readonly stack?: boolean };
  /** How long `close()` waits for in-flight handlers. Default 10000 ms. */
  readonly shutdownTimeoutMs?: number;
  /** How failing handlers are retried, as the module's `retry`. Default: no retries. */
  readonly retry?: RetryPolicy | false;
  /** The retry delay line's name prefix and depth, as the module's `retryDelayLine`. */
  readonly retryDelayLine?: { readonly prefix?: string; readonly maxDelayMs?: number };
  /** `<queue>.error` for consumed queues without a dead-letter setting. Default `true`. */
  readonly errorQueues?: boolean;
  /** Poison threshold, as the module's `maxDeliveries`. Default 20. */
  readonly maxDeliveries?: number | false;
}

/**
 * Per-handler options, given as the extras of `@EventPattern(pattern, extras)` /
 * `@MessagePattern(pattern, extras)` (or with the transport id: `(pattern, MESSAGING_TRANSPORT_ID, extras)`).
 * Queue-level settings must agree among the handlers of one queue, as for `@Consumer`.
 */
export interface MessagingPatternExtras {
  /** Queue to consume (declared in the topology). Default: the server's `queue`. */
  readonly queue?: string;
  readonly prefetch?: number;
  readonly concurrency?: number;
  readonly ack?: AckMode;
}
