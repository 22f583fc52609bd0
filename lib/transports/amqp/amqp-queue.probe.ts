import type { Logger } from '@nestjs/common';
import { TopologyError, TransportConnectionError, TransportStateError } from '../../errors/index.js';
import type { QueueStatus } from '../transport.interface.js';
import type { AmqpConnectionMonitor } from './amqp-connection.monitor.js';
import type { AmqpChannelLike } from './amqp-connection.types.js';
import type { BackoffPolicy } from './backoff.policy.js';
import { ChannelSupervisor } from './channel.supervisor.js';
import { errorMessage } from './error-message.util.js';
import { withTimeout } from './promise-timeout.util.js';

/** The amqplib channel method a queue probe needs beyond {@link AmqpChannelLike}. */
export interface AmqpProbeChannelLike extends AmqpChannelLike {
  /** Passive `queue.declare`; a missing queue closes the channel with a 404. */
  checkQueue(queue: string): Promise<{ messageCount: number; consumerCount: number }>;
}

/** What the probe needs from the transport. */
export interface AmqpQueueProbeDeps {
  readonly monitor: AmqpConnectionMonitor;
  /** Bounds waiting for the channel and for the broker's answer. */
  readonly timeoutMs: number;
  readonly backoff: BackoffPolicy;
  readonly logger: Logger;
}

function isProbeChannel(channel: AmqpChannelLike): channel is AmqpProbeChannelLike {
  return typeof (channel as Partial<AmqpProbeChannelLike>).checkQueue === 'function';
}

/**
 * Reads queue depths with passive declares on one channel of its own, kept open (and reopened after a
 * reconnect) for as long as the transport runs. A dedicated channel matters: a passive declare of a
 * missing queue makes the broker close the channel, which must never take a publisher or a consumer down
 * with it. The supervisor reopens the channel after such a 404.
 */
export class AmqpQueueProbe {
  private readonly supervisor: ChannelSupervisor<AmqpProbeChannelLike>;

  constructor(private readonly deps: AmqpQueueProbeDeps) {
    this.supervisor = new ChannelSupervisor<AmqpProbeChannelLike>({
      name: 'queue probe channel',
      open: async (connection) => {
        const channel = await connection.createChannel();
        if (!isProbeChannel(channel)) {
          await channel.close().catch(() => undefined);
          throw new TransportStateError('the connection factory creates channels without queue.declare (checkQueue)');
        }
        return channel;
      },
      setup: async () => undefined,
      closeTimeoutMs: deps.timeoutMs,
      backoff: deps.backoff,
      logger: deps.logger,
    });
    deps.monitor.register(this.supervisor);
  }

  /**
   * The queue's ready-message and consumer counts.
   * @throws TopologyError when the queue does not exist; TransportConnectionError when no channel or no
   * answer comes within the timeout.
   */
  async status(queue: string): Promise<QueueStatus> {
    const { timeoutMs } = this.deps;
    const channel = await withTimeout(
      this.supervisor.waitUntilUp((error) => error instanceof TransportStateError),
      timeoutMs,
      () => new TransportConnectionError(`No channel to check queue "${queue}" within ${timeoutMs} ms`),
    );
    try {
      const answer = await withTimeout(channel.checkQueue(queue), timeoutMs, () => new TransportConnectionError(`No answer checking queue "${queue}" within ${timeoutMs} ms`));
      return { messages: answer.messageCount, consumers: answer.consumerCount };
    } catch (error) {
      if (error instanceof TransportConnectionError) throw error;
      const text = errorMessage(error);
      if (/NOT[-_]FOUND|\b404\b/.test(text)) throw new TopologyError(`NOT_FOUND: no queue "${queue}" on the broker`, { cause: error });
      throw new TransportStateError(`Checking queue "${queue}": ${text}`);
    }
  }

  /** Closes the channel for good. */
  async close(): Promise<void> {
    this.deps.monitor.unregister(this.supervisor);
    await this.supervisor.close();
  }
}
