import { Logger } from '@nestjs/common';
import type { TransportEvents } from '../transport.events.js';
import { AmqpConnectionMonitor } from './amqp-connection.monitor.js';
import { createAmqpManager } from './amqp-manager.options.js';
import type { ResolvedAmqpTransportOptions } from './amqp-transport.options.js';
import type { BackoffPolicy } from './backoff.policy.js';
import { errorMessage } from './error-message.util.js';

/** What the consumers' connection is made from. */
export interface AmqpConsumerConnectionDeps {
  readonly options: ResolvedAmqpTransportOptions;
  readonly backoff: BackoffPolicy;
  readonly events: TransportEvents;
}

/**
 * The connection consumer channels live on. With `consumer.connection: 'separate'` (the default) it is a
 * connection of its own, opened with the first consumer, so a publishing connection the broker throttles
 * (credit flow) or blocks (resource alarm) never delays deliveries and acks; RabbitMQ advises exactly
 * this split. With `shared` it is the main connection.
 */
export class AmqpConsumerConnection {
  /** #private: the connection manager inside it holds the broker URLs. */
  #own: AmqpConnectionMonitor | undefined;
  #opening: Promise<AmqpConnectionMonitor> | undefined;
  private readonly logger = new Logger('AmqpTransport:consume');

  constructor(private readonly deps: AmqpConsumerConnectionDeps) {}

  /**
   * The monitor consumers register with: the main one when shared, else the consumers' own, connected
   * on first use (waiting up to `connectTimeoutMs`; after that it keeps connecting in the background,
   * as a consumer registered while disconnected does).
   */
  monitorFor(main: AmqpConnectionMonitor): Promise<AmqpConnectionMonitor> {
    if (this.deps.options.consumer.connection === 'shared') return Promise.resolve(main);
    this.#opening ??= this.open();
    return this.#opening;
  }

  /** Whether the consumers' own connection is up; `undefined` when there is none (shared, or no consumer yet). */
  get connected(): boolean | undefined {
    return this.#own?.connected;
  }

  /** Closes the consumers' own connection, if one was opened; consumer channels must be closed first. */
  async close(): Promise<void> {
    const opening = this.#opening;
    if (!opening) return;
    const monitor = await opening;
    await monitor.close();
  }

  private async open(): Promise<AmqpConnectionMonitor> {
    const { options, backoff, events } = this.deps;
    const monitor = new AmqpConnectionMonitor(createAmqpManager(options, 'consume'), options.urls, backoff, this.logger, events);
    this.#own = monitor;
    try {
      await monitor.connect(options.connectTimeoutMs);
    } catch (error) {
      // The main connection got through a moment ago; this one keeps trying, and consumers attach when it does.
      this.logger.warn(`The consumers' connection is not up yet (${errorMessage(error)}); it keeps trying in the background`);
    }
    return monitor;
  }
}
