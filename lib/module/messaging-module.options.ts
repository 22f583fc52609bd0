import type { BacklogMonitorOptions } from '../backlog/backlog.types.js';
import type { UnknownTypePolicy } from '../consumer/message.dispatcher.js';
import type { AckMode } from '../decorators/consumer.decorator.js';
import type { IdempotencyOptions } from '../idempotency/idempotency.options.js';
import type { ConsumeMiddleware, PublishMiddleware } from '../observability/messaging-middleware.types.js';
import type { RetryPolicy } from '../retry/retry-policy.types.js';
import type { TopologyDefinition } from '../topology/index.js';
import type { MessagingTelemetryOptions } from './telemetry.options.js';
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
    /**
     * Unacked messages the broker hands each queue's consumer at once (and, unless the consumer sets
     * `concurrency`, how many of its handlers run at once). Default 200: enough to cover the ack round
     * trip on a busy broker, so the consumer is not starved between acks (measured: 10 gave about half the
     * throughput of 200 end to end). Lower it for slow handlers, large messages or many competing consumers.
     */
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
  /**
   * How failing handlers are retried, for every consumer that does not set its own `retry`. Default: no
   * retries (a failure goes to the error queue at once).
   *
   * @example retry: { immediate: 2, delayed: exponential({ initialMs: 1000, factor: 2, maxMs: 300_000, attempts: 5, jitter: 0.2 }) }
   */
  readonly retry?: RetryPolicy | false;
  /**
   * The delay line of delayed retries: name prefix of its exchanges and queues (default
   * `messaging.retry`; the names are `<prefix>.v2.*`) and the longest delay it must express (default: the
   * longest any policy asks for; raise it for `ctx.retry({ delayMs })` beyond that, which is otherwise
   * rejected with `RetryDelayTooLongError`).
   */
  readonly retryDelayLine?: { readonly prefix?: string; readonly maxDelayMs?: number };
  /**
   * Give every consumed queue without a dead-letter setting an error queue, `<queue>.error`, so no failure
   * is ever discarded by default. Default `true`; a queue opts out with `errorQueue: false`.
   */
  readonly errorQueues?: boolean;
  /**
   * Deliveries after which a message that keeps coming back unsettled is dead-lettered as `poison`
   * without running its handler again. Default 20; `false` turns the check off.
   */
  readonly maxDeliveries?: number | false;
  /**
   * Run around every publish, in order: add headers (a tenant, trace context), observe outcomes. See
   * {@link PublishMiddleware}.
   */
  readonly publishMiddleware?: readonly PublishMiddleware[];
  /** Run around the processing of every delivery, in order (timing, tracing context). */
  readonly consumeMiddleware?: readonly ConsumeMiddleware[];
  /**
   * Sample the depth and rates of every consumed queue on an interval (see `BacklogMonitor`), optionally
   * against a drain-time SLO. Default: off (the monitor samples only when asked).
   *
   * @example backlog: { intervalMs: 5000, sloSeconds: 60 }
   */
  readonly backlog?: BacklogMonitorOptions | false;
  /**
   * OpenTelemetry tracing and metrics. On by itself when `@opentelemetry/api` is installed, using the
   * providers and propagator the application registered globally (nothing is recorded when it registered
   * none); `false` turns it off; an object passes providers or changes how spans relate. See
   * {@link MessagingTelemetryOptions}.
   */
  readonly telemetry?: MessagingTelemetryOptions | false;
  /** What dead-lettered copies record beyond the failure kind, reason and origin. */
  readonly failureHeaders?: {
    /** Record handler stack traces in `x-failure-stack`. Default `false`: stacks leak code layout. */
    readonly stack?: boolean;
  };
}

/** The defaults, in one place so the README and the code cannot disagree. */
export const MESSAGING_DEFAULTS = {
  prefetch: 200,
  ack: 'auto',
  unknownMessageType: 'dead-letter',
  idempotent: false,
  stuckAfterMs: 60_000,
  shutdownTimeoutMs: 10_000,
  validateOnPublish: true,
  maxMessageBytes: 4 * 1024 * 1024,
  failureStack: false,
  errorQueues: true,
  maxDeliveries: 20,
} as const;
