import { disableNagle } from './socket-no-delay.js';
import type { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { PublishNackedError, RequestInterruptedError, RequestTimeoutError, TransportStateError, UnroutableMessageError } from '../../errors/index.js';
import { describeDestination, PendingRequestTable } from '../pending-request.table.js';
import { assertTransportOwnsReplyFields } from '../request-message.check.js';
import { DIRECT_REPLY_TO, type InboundMessage, type OutboundMessage, type RequestOptions } from '../transport.interface.js';
import type { AmqpConfirmChannelLike, AmqpDeliveredMessage, AmqpReturnedMessage } from './amqp-connection.types.js';
import { toMessageProperties, toPublishOptions } from './amqp-message.mapper.js';
import type { BackoffPolicy } from './backoff.policy.js';
import { ChannelSupervisor } from './channel.supervisor.js';
import { errorMessage } from './error-message.util.js';
import { withTimeout } from './promise-timeout.util.js';
import type { TopologyGate } from './topology.gate.js';

/** What an {@link AmqpRequester} needs from its transport. */
export interface AmqpRequesterOptions {
  readonly topologyGate: TopologyGate;
  readonly closeTimeoutMs: number;
  readonly backoff: BackoffPolicy;
  readonly logger: Logger;
}

/**
 * Request/reply over RabbitMQ's direct reply-to on one dedicated confirm channel. The broker only
 * delivers replies to the channel that published the request with `replyTo: amq.rabbitmq.reply-to`, and
 * only if that same channel consumes the pseudo-queue with no-ack, so requests never go through the
 * publisher pool: the channel that publishes them is the one holding the reply consumer.
 *
 * The reply address is the channel's: when the channel (or its connection) closes, every request in
 * flight fails at once with `RequestInterruptedError`, because its reply can never arrive; the supervisor
 * reopens the channel with a new address for the requests that follow.
 */
export class AmqpRequester {
  /** The channel, to register with the connection monitor. */
  readonly supervisor: ChannelSupervisor<AmqpConfirmChannelLike>;
  private readonly table = new PendingRequestTable();
  private closed = false;

  constructor(private readonly options: AmqpRequesterOptions) {
    this.supervisor = new ChannelSupervisor<AmqpConfirmChannelLike>({
      name: 'request channel',
      open: (connection) => {
        // Request/reply lives on round-trip latency: Nagle would hold each lone frame about 40 ms.
        disableNagle(connection);
        return connection.createConfirmChannel();
      },
      setup: async (channel) => {
        channel.on('return', (returned) => this.onReturn(returned));
        // Direct reply-to refuses acknowledged consumers (406 "reply consumer cannot acknowledge").
        await channel.consume(DIRECT_REPLY_TO, (message) => this.onReply(message), { noAck: true });
      },
      closeTimeoutMs: options.closeTimeoutMs,
      backoff: options.backoff,
      logger: options.logger,
      onDown: () => this.table.failAll((destination) => new RequestInterruptedError(destination, 'the request channel closed')),
    });
  }

  /** Requests waiting for their reply. */
  get inFlight(): number {
    return this.table.size;
  }

  /**
   * Publishes the request on the request channel once it is up and the topology is asserted (both
   * within `timeoutMs`), then waits for the reply for what is left of it.
   */
  async request(message: OutboundMessage, options: RequestOptions): Promise<InboundMessage> {
    if (this.closed) throw new TransportStateError('AmqpTransport cannot send a request: it is closing');
    assertTransportOwnsReplyFields(message);
    const destination = describeDestination(message);
    const deadline = Date.now() + options.timeoutMs;
    // The usual case needs no wait, and so no timer and no race: the channel is up on an asserted topology.
    const up = this.options.topologyGate.isOpen ? this.supervisor.channel : undefined;
    const channel =
      up ?? (await withTimeout(this.readyChannel(), options.timeoutMs, () => new RequestTimeoutError(destination, options.timeoutMs)));
    const correlationId = randomUUID();
    const reply = this.table.add(correlationId, destination, Math.max(1, deadline - Date.now()));
    const request: OutboundMessage = { ...message, mandatory: true, properties: { ...message.properties, replyTo: DIRECT_REPLY_TO, correlationId } };
    try {
      channel.publish(message.exchange, message.routingKey, message.body, toPublishOptions(request, message.properties.messageId ?? randomUUID()), (error) => {
        // A nack; a confirm lost to a closing channel is reported by onDown as an interruption.
        if (error && this.supervisor.channel === channel) this.table.reject(correlationId, new PublishNackedError(message.exchange, message.routingKey));
      });
    } catch (error) {
      // amqplib throws once the channel has started closing, or for a bad property value.
      this.table.reject(correlationId, error instanceof Error && !/closed/i.test(error.message) ? error : new RequestInterruptedError(destination, errorMessage(error)));
    }
    return reply;
  }

  /** Fails what is in flight and closes the channel. */
  async close(): Promise<void> {
    this.closed = true;
    this.table.failAll((destination) => new RequestInterruptedError(destination, 'the transport closed'));
    await this.supervisor.close();
  }

  private async readyChannel(): Promise<AmqpConfirmChannelLike> {
    await this.options.topologyGate.whenReady();
    return this.supervisor.waitUntilUp(() => false);
  }

  private onReply(raw: AmqpDeliveredMessage | null): void {
    // null: the broker cancelled the reply consumer; the channel's close follows and fails the rest.
    if (!raw) return;
    const properties = toMessageProperties(raw.properties);
    this.table.resolve(properties.correlationId, {
      body: raw.content,
      properties,
      exchange: raw.fields.exchange,
      routingKey: raw.fields.routingKey,
      queue: DIRECT_REPLY_TO,
      redelivered: raw.fields.redelivered,
      raw,
    });
  }

  private onReturn(returned: AmqpReturnedMessage): void {
    const correlationId = toMessageProperties(returned.properties).correlationId;
    if (correlationId === undefined) return;
    const { exchange, routingKey, replyText } = returned.fields;
    this.table.reject(correlationId, new UnroutableMessageError(exchange, routingKey, replyText));
  }
}
