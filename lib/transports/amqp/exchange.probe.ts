import type { Logger } from '@nestjs/common';
import type { AmqpChannelLike, AmqpConnectionLike } from './amqp-connection.types.js';
import type { ConnectionAttachable } from './amqp-connection.monitor.js';
import { amqpReplyCode, errorMessage } from './error-message.util.js';
import { withTimeout } from './promise-timeout.util.js';

/** What an {@link ExchangeProbe} needs. */
export interface ExchangeProbeOptions {
  /** Exchanges the topology declares: they exist once the publisher channel is set up, no probe needed. */
  readonly declared: Iterable<string>;
  /** Bound on one probe; a broker that does not answer in time is asked again later. */
  readonly timeoutMs: number;
  /** Delay before asking again after a probe failed for a reason other than the exchange missing. */
  readonly retryDelayMs: number;
  readonly logger: Logger;
  /**
   * The answer for `exchange`: `true` it exists (remembered for this connection), `false` the broker
   * says it does not (not remembered: it may be declared later), `undefined` no answer, ask again.
   */
  readonly answered: (exchange: string, exists: boolean | undefined) => void;
}

/**
 * Checks that an exchange exists before the first publish to it, on a short-lived channel of its own.
 * A publish to a missing exchange makes RabbitMQ close the publishing channel (404), which would take
 * every unconfirmed neighbour on that channel along and force their re-send (duplicates). A passive
 * `exchange.declare` answers the same question, and its 404 closes only the probe channel.
 *
 * Positive answers are cached per connection (a reconnect may land on a broker that lost the exchange).
 * Publishes to an exchange wait while it is being probed; the pool holds them.
 */
export class ExchangeProbe implements ConnectionAttachable {
  private readonly declared: ReadonlySet<string>;
  private readonly known = new Set<string>();
  private readonly probing = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private connection: AmqpConnectionLike | undefined;
  /** Bumped on every connection change, so an answer from an old connection is ignored. */
  private epoch = 0;
  private closed = false;

  constructor(private readonly options: ExchangeProbeOptions) {
    this.declared = new Set(options.declared);
  }

  attach(connection: AmqpConnectionLike): void {
    this.reset();
    this.connection = connection;
  }

  detach(): void {
    this.reset();
  }

  /** Stops probing for good. */
  close(): void {
    this.closed = true;
    this.reset();
  }

  /**
   * True when publishes to `exchange` may go out now. Otherwise a probe is running (started here if
   * needed) and {@link ExchangeProbeOptions.answered} will say when to try again.
   */
  isReady(exchange: string): boolean {
    if (exchange === '' || exchange.startsWith('amq.') || this.declared.has(exchange) || this.known.has(exchange)) {
      return true;
    }
    if (!this.probing.has(exchange) && this.connection && !this.closed) {
      this.probing.add(exchange);
      void this.probe(this.connection, exchange, this.epoch);
    }
    return false;
  }

  /** The broker said `exchange` is missing after all (a publish got a 404): probe it again next time. */
  forget(exchange: string): void {
    this.known.delete(exchange);
  }

  private async probe(connection: AmqpConnectionLike, exchange: string, epoch: number): Promise<void> {
    let channel: AmqpChannelLike | undefined;
    let exists: boolean | undefined;
    try {
      channel = await withTimeout(connection.createChannel(), this.options.timeoutMs, () => new Error('no channel in time'));
      // The 404 arrives as the awaited rejection; amqplib also emits it as 'error', which must be heard.
      channel.on('error', () => undefined);
      await withTimeout(channel.checkExchange(exchange), this.options.timeoutMs, () => new Error('no answer in time'));
      exists = true;
    } catch (error) {
      if (amqpReplyCode(error) === 404) exists = false;
      else if (epoch === this.epoch) {
        this.options.logger.warn(`Could not check that exchange "${exchange}" exists: ${errorMessage(error)}; retrying`);
      }
    }
    // After a 404 the broker has closed the channel already.
    if (channel && exists !== false) void channel.close().catch(() => undefined);
    if (epoch !== this.epoch) return;
    if (exists === undefined) {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        if (epoch !== this.epoch) return;
        this.probing.delete(exchange);
        this.options.answered(exchange, undefined);
      }, this.options.retryDelayMs);
      this.timers.add(timer);
      return;
    }
    this.probing.delete(exchange);
    if (exists) this.known.add(exchange);
    this.options.answered(exchange, exists);
  }

  private reset(): void {
    this.epoch++;
    this.connection = undefined;
    this.known.clear();
    this.probing.clear();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
