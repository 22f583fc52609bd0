import type { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { TopologyError } from '../../errors/index.js';
import { findQueue, topologyForQueue, type TopologyDefinition } from '../../topology/index.js';
import { deadLetterByCopy, deadLetterTargetOf, type DeadLetterTarget } from '../dead-letter.copy.js';
import type { ConsumeOptions, DeadLetterOutcome, DeadLetterRequest, DeliveryHandler, OutboundMessage, TransportSubscription } from '../transport.interface.js';
import type { AmqpChannelLike, AmqpDeliveredMessage } from './amqp-connection.types.js';
import { AmqpDelivery, ChannelLiveness } from './amqp.delivery.js';
import { AckCoalescer } from './amqp-ack.coalescer.js';
import { assertTopology } from './amqp-topology.asserter.js';
import type { BackoffPolicy } from './backoff.policy.js';
import { ChannelSupervisor } from './channel.supervisor.js';
import { amqpReplyCode, errorMessage } from './error-message.util.js';
import { withTimeout } from './promise-timeout.util.js';
import { coalesceSocketWrites } from './socket-no-delay.js';

/** What an {@link AmqpConsumer} consumes and with what. */
export interface AmqpConsumerOptions {
  readonly consume: ConsumeOptions;
  readonly handler: DeliveryHandler;
  /** The full topology; the consumer re-asserts only the part its queue depends on. */
  readonly topology: TopologyDefinition;
  /** Longest wait for the broker to answer a basic.cancel or a channel close, so neither hangs shutdown. */
  readonly brokerTimeoutMs: number;
  readonly backoff: BackoffPolicy;
  readonly logger: Logger;
  /** Publishes with confirms; used for dead-letter copies. */
  readonly publish: (message: OutboundMessage) => Promise<void>;
  /** Wait before requeueing a message whose dead-letter copy failed, by attempt. */
  readonly requeueDelayMs: (attempt: number) => number;
  /** Ack runs of deliveries with one multi-ack (see {@link AckCoalescer}); false acks each at once. */
  readonly coalesceAcks: boolean;
}

/**
 * A run of acks this long goes out at once instead of at the end of the I/O turn: a quarter of the
 * prefetch window, so the broker can refill the window while the rest of the turn is still handled.
 */
export function maxAckRun(prefetch: number): number {
  return Math.max(1, Math.ceil(prefetch / 4));
}

/**
 * One consumer on its own supervised channel. Every fresh channel (first connection, reconnect, or a
 * channel the broker closed) re-asserts the queue's part of the topology, sets the prefetch and consumes
 * again, so the subscription outlives connection losses. When the broker cancels the consumer while
 * the channel stays open (queue deleted, quorum leader moved), it consumes again after a backoff.
 */
export class AmqpConsumer implements TransportSubscription {
  /** Attached to every connection by the transport. */
  readonly supervisor: ChannelSupervisor<AmqpChannelLike>;
  private readonly queueTopology: TopologyDefinition;
  private readonly label: string;
  private consumerTag: string | undefined;
  private consuming: Promise<void> | undefined;
  private cancelled = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryAttempt = 0;
  private readonly deadLetterTarget: DeadLetterTarget | undefined;
  /** A quorum queue: only its broker-set `x-delivery-count` is believed (see `AmqpDelivery`). */
  private readonly brokerCounts: boolean;
  /** The coalescer of the current channel, flushed on cancel and close. */
  private acks: AckCoalescer | undefined;

  constructor(private readonly options: AmqpConsumerOptions) {
    const { queue, consumerName } = options.consume;
    this.queueTopology = topologyForQueue(options.topology, queue);
    this.label = `consumer "${consumerName}" on queue "${queue}"`;
    const definition = findQueue(options.topology, queue);
    this.deadLetterTarget = deadLetterTargetOf(definition);
    this.brokerCounts = definition?.type === 'quorum';
    this.supervisor = new ChannelSupervisor<AmqpChannelLike>({
      name: this.label,
      open: (connection) => {
        coalesceSocketWrites(connection);
        return connection.createChannel();
      },
      setup: (channel) => this.setup(channel),
      closeTimeoutMs: options.brokerTimeoutMs,
      backoff: options.backoff,
      logger: options.logger,
      onDown: () => {
        this.consumerTag = undefined;
        this.acks = undefined;
        this.clearRetry();
      },
    });
  }

  /**
   * Sends basic.cancel and stops consuming on later reconnects. The channel stays open so deliveries
   * already handed out can still be settled; `AmqpTransport.close()` closes it.
   */
  async cancel(): Promise<void> {
    if (this.cancelled) return;
    this.cancelled = true;
    this.supervisor.stopRecovery();
    this.clearRetry();
    // A basic.consume in flight would otherwise register a consumer right after we cancelled.
    await this.consuming?.catch(() => undefined);
    // What handlers already settled need not wait for the end of the turn (nor for the broker's cancel-ok).
    this.acks?.flush();
    const channel = this.supervisor.channel;
    const tag = this.consumerTag;
    this.consumerTag = undefined;
    if (!channel || tag === undefined) return;
    try {
      // Bounded: a broker that stops answering must not hang a graceful shutdown. Deliveries may still
      // arrive until the broker acts on the cancel; the channel close that follows ends them.
      await withTimeout(
        channel.cancel(tag),
        this.options.brokerTimeoutMs,
        () => new Error(`no answer within ${this.options.brokerTimeoutMs} ms`),
      );
    } catch (error) {
      this.options.logger.warn(`${this.label}: basic.cancel failed: ${errorMessage(error)}`);
    }
    this.acks?.flush();
  }

  /**
   * Registered with the broker right now: a consumer tag on an open channel. False while reconnecting,
   * after `cancel()` (the channel stays open for in-flight acks) and while re-consuming after the broker
   * cancelled it.
   */
  get registered(): boolean {
    return this.consumerTag !== undefined && this.supervisor.channel !== undefined;
  }

  /** Stops for good and closes the channel; unsettled deliveries return to the queue. */
  async close(): Promise<void> {
    this.cancelled = true;
    this.clearRetry();
    // Acks written before the channel.close frame reach the broker before the close does.
    this.acks?.flush();
    await this.supervisor.close();
  }

  private async setup(channel: AmqpChannelLike): Promise<void> {
    const { prefetch } = this.options.consume;
    const liveness = new ChannelLiveness(this.options.consume.queue);
    const acks = this.options.coalesceAcks ? new AckCoalescer(channel, maxAckRun(prefetch)) : undefined;
    channel.on('close', () => {
      // Tags of a dead channel are meaningless elsewhere: what was waiting is redelivered, never acked.
      acks?.drop();
      liveness.close();
    });
    this.acks = acks;
    await assertTopology(channel, this.queueTopology);
    await channel.prefetch(prefetch);
    await this.startConsuming(channel, liveness, acks);
    this.retryAttempt = 0;
  }

  private startConsuming(channel: AmqpChannelLike, liveness: ChannelLiveness, acks: AckCoalescer | undefined): Promise<void> {
    const run = async (): Promise<void> => {
      if (this.cancelled) return;
      const { queue, consumerName } = this.options.consume;
      let reply: { consumerTag: string };
      try {
        reply = await channel.consume(queue, (message) => this.onMessage(channel, liveness, acks, message), {
          noAck: false,
          // Unique per consume so a re-consume never collides; bounded because AMQP tags are short strings.
          consumerTag: `${consumerName.slice(0, 200)}.${randomUUID().slice(0, 8)}`,
        });
      } catch (error) {
        if (amqpReplyCode(error) === undefined) throw error;
        throw new TopologyError(`RabbitMQ refused to consume from queue "${queue}": ${errorMessage(error)}`, {
          cause: error,
        });
      }
      this.consumerTag = reply.consumerTag;
    };
    const consuming = run();
    this.consuming = consuming;
    return consuming;
  }

  private onMessage(
    channel: AmqpChannelLike,
    liveness: ChannelLiveness,
    acks: AckCoalescer | undefined,
    message: AmqpDeliveredMessage | null,
  ): void {
    if (message === null) {
      this.onCancelledByBroker(channel, liveness, acks);
      return;
    }
    const delivery = new AmqpDelivery(channel, liveness, message, this.options.consume.queue, this.deadLetter, acks, this.brokerCounts);
    try {
      this.options.handler(delivery);
    } catch (error) {
      // Handlers must not throw; if one does, amqplib would see the exception inside its frame parser.
      this.options.logger.error(`${this.label}: delivery handler threw: ${errorMessage(error)}`);
    }
  }

  private readonly deadLetter = (delivery: AmqpDelivery, request: DeadLetterRequest): Promise<DeadLetterOutcome> =>
    deadLetterByCopy({
      delivery,
      request,
      target: this.deadLetterTarget,
      publish: this.options.publish,
      logger: this.options.logger,
      requeueDelayMs: this.options.requeueDelayMs,
    });

  private onCancelledByBroker(channel: AmqpChannelLike, liveness: ChannelLiveness, acks: AckCoalescer | undefined): void {
    this.consumerTag = undefined;
    if (this.cancelled) return;
    const delayMs = this.options.backoff(this.retryAttempt++);
    this.options.logger.warn(
      `${this.label}: the broker cancelled the consumer (queue deleted or moved?); consuming again in ${delayMs} ms`,
    );
    this.clearRetry();
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.consumeAgain(channel, liveness, acks);
    }, delayMs);
  }

  private async consumeAgain(channel: AmqpChannelLike, liveness: ChannelLiveness, acks: AckCoalescer | undefined): Promise<void> {
    // A channel that died meanwhile is replaced by the supervisor, whose setup consumes anyway.
    if (this.cancelled || !liveness.open || this.supervisor.channel !== channel) return;
    try {
      await assertTopology(channel, this.queueTopology);
      await this.startConsuming(channel, liveness, acks);
      this.retryAttempt = 0;
      this.options.logger.log(`${this.label}: consuming again`);
    } catch (error) {
      // A broker refusal closed the channel, and the supervisor reopens it; anything else, try again here.
      if (liveness.open) this.onCancelledByBroker(channel, liveness, acks);
      else this.options.logger.warn(`${this.label}: consuming again failed: ${errorMessage(error)}`);
    }
  }

  private clearRetry(): void {
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }
}
