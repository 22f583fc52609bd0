import type { Logger } from '@nestjs/common';
import { TopologyError, TransportConnectionError, TransportStateError } from '../../errors/index.js';
import type { InboundMessage, QueueReadDelivery, QueueReader } from '../transport.interface.js';
import type { AmqpChannelLike, AmqpDeliveredMessage } from './amqp-connection.types.js';
import type { AmqpConnectionMonitor } from './amqp-connection.monitor.js';
import { toMessageProperties } from './amqp-message.mapper.js';
import type { BackoffPolicy } from './backoff.policy.js';
import { ChannelSupervisor } from './channel.supervisor.js';
import { errorMessage } from './error-message.util.js';
import { withTimeout } from './promise-timeout.util.js';

/** The amqplib channel methods a queue reader needs beyond {@link AmqpChannelLike}. */
export interface AmqpReaderChannelLike extends AmqpChannelLike {
  /** `basic.get`; resolves `false` when the queue has no ready message. */
  get(queue: string, options: { noAck: boolean }): Promise<AmqpDeliveredMessage | false>;
  /** Passive `queue.declare`; a missing queue closes the channel with a 404. */
  checkQueue(queue: string): Promise<{ messageCount: number }>;
  /** `queue.purge`. */
  purgeQueue(queue: string): Promise<{ messageCount: number }>;
}

/** What opening a reader needs from the transport. */
export interface AmqpQueueAccessDeps {
  readonly monitor: AmqpConnectionMonitor;
  /** Bounds opening the channel and the broker's close-ok. */
  readonly timeoutMs: number;
  readonly backoff: BackoffPolicy;
  readonly logger: Logger;
}

function isReaderChannel(channel: AmqpChannelLike): channel is AmqpReaderChannelLike {
  const candidate = channel as Partial<AmqpReaderChannelLike>;
  return typeof candidate.get === 'function' && typeof candidate.checkQueue === 'function' && typeof candidate.purgeQueue === 'function';
}

/** amqplib reports a missing queue as `404 (NOT-FOUND)` when the broker closes the channel. */
function toReaderError(queue: string, error: unknown): Error {
  const text = errorMessage(error);
  if (/NOT[-_]FOUND|\b404\b/.test(text)) return new TopologyError(`NOT_FOUND: no queue "${queue}" on the broker`, { cause: error });
  return new TransportStateError(`Queue reader on "${queue}": ${text}`);
}

/**
 * A {@link QueueReader} on its own channel, never reopened: RabbitMQ returns the channel's unacked
 * messages to their queue, in their original positions, when the channel closes, which is exactly the
 * "give back on close" the SPI promises. A reopened channel would silently start a second pass, so a
 * lost channel ends the session instead (`get` then throws and `ack` returns false).
 */
export class AmqpQueueReader implements QueueReader {
  private alive = true;
  private closing: Promise<void> | undefined;

  private constructor(
    readonly queue: string,
    readonly readyAtOpen: number,
    private readonly channel: AmqpReaderChannelLike,
    private readonly supervisor: ChannelSupervisor<AmqpReaderChannelLike>,
    private readonly onClose: (reader: AmqpQueueReader) => void,
  ) {
    channel.on('close', () => {
      this.alive = false;
    });
  }

  /**
   * Opens a channel on the current connection and checks that the queue exists.
   * @throws TopologyError when it does not; TransportConnectionError when no channel opens in time.
   */
  static async open(queue: string, deps: AmqpQueueAccessDeps, onClose: (reader: AmqpQueueReader) => void): Promise<AmqpQueueReader> {
    let readyAtOpen = 0;
    const supervisor = new ChannelSupervisor<AmqpReaderChannelLike>({
      name: `queue reader on "${queue}"`,
      open: async (connection) => {
        const channel = await connection.createChannel();
        if (!isReaderChannel(channel)) {
          await channel.close().catch(() => undefined);
          throw new TransportStateError('the connection factory creates channels without basic.get / queue.purge');
        }
        return channel;
      },
      setup: async (channel) => {
        try {
          readyAtOpen = (await channel.checkQueue(queue)).messageCount;
        } catch (error) {
          throw toReaderError(queue, error);
        }
      },
      closeTimeoutMs: deps.timeoutMs,
      backoff: deps.backoff,
      logger: deps.logger,
    });
    deps.monitor.register(supervisor);
    try {
      const channel = await withTimeout(
        supervisor.waitUntilUp((error) => error instanceof TopologyError || error instanceof TransportStateError),
        deps.timeoutMs,
        () => new TransportConnectionError(`No channel to read queue "${queue}" within ${deps.timeoutMs} ms`),
      );
      supervisor.stopRecovery();
      return new AmqpQueueReader(queue, readyAtOpen, channel, supervisor, (reader) => {
        deps.monitor.unregister(supervisor);
        onClose(reader);
      });
    } catch (error) {
      deps.monitor.unregister(supervisor);
      await supervisor.close();
      throw error;
    }
  }

  /** `queue.purge` on a reader channel opened for it and closed again. */
  static async purge(queue: string, deps: AmqpQueueAccessDeps): Promise<number> {
    const reader = await AmqpQueueReader.open(queue, deps, () => undefined);
    try {
      return await reader.purge();
    } finally {
      await reader.close();
    }
  }

  /** `basic.get` with manual acknowledgement. */
  async get(): Promise<QueueReadDelivery | undefined> {
    if (!this.alive) throw new TransportStateError(`Queue reader on "${this.queue}" is closed (or lost its channel)`);
    let raw: AmqpDeliveredMessage | false;
    try {
      raw = await this.channel.get(this.queue, { noAck: false });
    } catch (error) {
      this.alive = false;
      throw toReaderError(this.queue, error);
    }
    if (raw === false) return undefined;
    return this.delivery(raw);
  }

  private async purge(): Promise<number> {
    if (!this.alive) throw new TransportStateError(`Queue reader on "${this.queue}" is closed (or lost its channel)`);
    try {
      return (await this.channel.purgeQueue(this.queue)).messageCount;
    } catch (error) {
      throw toReaderError(this.queue, error);
    }
  }

  /** Closes the channel; the broker puts every unacked message back. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.closeOnce();
    return this.closing;
  }

  private async closeOnce(): Promise<void> {
    this.alive = false;
    this.onClose(this);
    await this.supervisor.close();
  }

  private delivery(raw: AmqpDeliveredMessage): QueueReadDelivery {
    const message: InboundMessage = {
      body: raw.content,
      properties: toMessageProperties(raw.properties),
      exchange: raw.fields.exchange,
      routingKey: raw.fields.routingKey,
      queue: this.queue,
      redelivered: raw.fields.redelivered,
      raw,
    };
    let acked = false;
    return {
      message,
      ack: () => {
        if (acked || !this.alive) return false;
        try {
          this.channel.ack(raw);
        } catch {
          // amqplib throws once the channel has started closing, before its close event.
          return false;
        }
        acked = true;
        return true;
      },
    };
  }
}
