import type { Logger } from '@nestjs/common';
import { QueueUnavailableError, TopologyError, TransportConnectionError } from '../../errors/index.js';
import { topologyForQueue, type TopologyDefinition } from '../../topology/index.js';
import type { TransportEvents } from '../transport.events.js';
import type { AmqpConnectionMonitor } from './amqp-connection.monitor.js';
import type { AmqpChannelLike } from './amqp-connection.types.js';
import { assertTopology } from './amqp-topology.asserter.js';
import type { BackoffPolicy } from './backoff.policy.js';
import { ChannelSupervisor } from './channel.supervisor.js';
import { errorMessage } from './error-message.util.js';
import { withTimeout } from './promise-timeout.util.js';
import type { TopologyGate } from './topology.gate.js';

/** What the topology channel declares and whom it tells. */
export interface TopologyChannelOptions {
  readonly topology: TopologyDefinition;
  readonly gate: TopologyGate;
  readonly closeTimeoutMs: number;
  readonly backoff: BackoffPolicy;
  readonly logger: Logger;
  readonly events: TransportEvents;
}

interface Unavailable {
  readonly since: number;
  attempt: number;
}

/**
 * The supervised channel that declares the whole topology on every connection and then opens the
 * {@link TopologyGate} publishers wait on.
 *
 * A queue whose cluster node is down (RabbitMQ's 404 "home node ... is down") must not hold everything
 * else hostage: it is set aside, the rest of the topology is declared on a fresh channel and the gate
 * opens; the queue is reported (`queue.unavailable`, stats) and tried again with a growing backoff until
 * its node is back (`queue.recovered`).
 */
export class TopologyChannel {
  readonly supervisor: ChannelSupervisor<AmqpChannelLike>;
  private readonly unavailable = new Map<string, Unavailable>();
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: TopologyChannelOptions) {
    this.supervisor = new ChannelSupervisor<AmqpChannelLike>({
      name: 'topology channel',
      open: (connection) => connection.createChannel(),
      setup: (channel) => this.setup(channel),
      closeTimeoutMs: options.closeTimeoutMs,
      backoff: options.backoff,
      logger: options.logger,
      onUp: (channel) => {
        options.gate.open();
        this.scheduleRetry(channel);
      },
      onDown: () => this.clearRetry(),
    });
  }

  /** Queues set aside because their node is down. */
  get unavailableQueues(): string[] {
    return [...this.unavailable.keys()];
  }

  /** Stops retrying and closes the channel. */
  async close(): Promise<void> {
    this.clearRetry();
    await this.supervisor.close();
  }

  private async setup(channel: AmqpChannelLike): Promise<void> {
    try {
      await assertTopology(channel, withoutQueues(this.options.topology, this.unavailable));
    } catch (error) {
      if (error instanceof QueueUnavailableError) this.markUnavailable(error);
      throw error;
    }
  }

  private markUnavailable(error: QueueUnavailableError): void {
    const entry = this.unavailable.get(error.queue) ?? { since: Date.now(), attempt: 0 };
    const retryInMs = this.options.backoff(entry.attempt++);
    this.unavailable.set(error.queue, entry);
    this.options.logger.warn(`${error.message}; declaring the rest of the topology, retrying this queue in about ${retryInMs} ms`);
    this.options.events.emit('queue.unavailable', { queue: error.queue, reason: errorMessage(error.cause ?? error), retryInMs });
  }

  private scheduleRetry(channel: AmqpChannelLike): void {
    this.clearRetry();
    if (this.unavailable.size === 0) return;
    const attempt = Math.max(...[...this.unavailable.values()].map((entry) => entry.attempt));
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.retryUnavailable(channel);
    }, this.options.backoff(attempt));
  }

  /** One declaration at a time: a refusal closes the channel, and its reopening reschedules the rest. */
  private async retryUnavailable(channel: AmqpChannelLike): Promise<void> {
    for (const [queue, entry] of this.unavailable) {
      if (this.supervisor.channel !== channel) return;
      try {
        await assertTopology(channel, topologyForQueue(this.options.topology, queue));
      } catch (error) {
        if (error instanceof QueueUnavailableError) this.markUnavailable(error);
        return;
      }
      this.unavailable.delete(queue);
      const unavailableForMs = Date.now() - entry.since;
      this.options.logger.log(`Queue "${queue}" is available again after ${unavailableForMs} ms`);
      this.options.events.emit('queue.recovered', { queue, unavailableForMs });
    }
  }

  private clearRetry(): void {
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }
}

/** The topology minus the set-aside queues and the bindings into them. */
function withoutQueues(topology: TopologyDefinition, skipped: ReadonlyMap<string, unknown>): TopologyDefinition {
  if (skipped.size === 0) return topology;
  return {
    ...topology,
    queues: (topology.queues ?? []).filter((queue) => !skipped.has(queue.name)),
    bindings: (topology.bindings ?? []).filter((binding) => binding.queue === undefined || !skipped.has(binding.queue)),
  };
}

/**
 * Registers the gate and the topology channel with the monitor and waits (up to `timeoutMs`) for the
 * first assertion. The channel is handed over before waiting so the caller can close it on failure.
 *
 * @throws TopologyError when the broker refuses part of the topology.
 * @throws TransportConnectionError when it is not asserted in time.
 */
export async function startTopologyChannel(
  monitor: AmqpConnectionMonitor,
  options: TopologyChannelOptions & { readonly timeoutMs: number },
  created: (channel: TopologyChannel) => void,
): Promise<void> {
  const channel = new TopologyChannel(options);
  created(channel);
  // The gate first: each new connection closes it before the topology channel can reopen it.
  monitor.register(options.gate);
  monitor.register(channel.supervisor);
  await withTimeout(
    channel.supervisor.waitUntilUp((error) => error instanceof TopologyError),
    options.timeoutMs,
    () => new TransportConnectionError(`The topology could not be asserted within ${options.timeoutMs} ms`),
  );
}
