import type { Logger } from '@nestjs/common';
import { PublishTimeoutError, TransportStateError } from '../../errors/index.js';
import type { OutboundMessage } from '../transport.interface.js';
import type { AmqpChannelLike, AmqpPublishOptions } from './amqp-connection.types.js';
import { toPublishOptions } from './amqp-message.mapper.js';
import type { BackoffPolicy } from './backoff.policy.js';
import { ChannelSupervisor } from './channel.supervisor.js';
import { errorMessage } from './error-message.util.js';
import { withTimeout } from './promise-timeout.util.js';
import { disableNagle } from './socket-no-delay.js';

/** An amqplib channel without confirms: `publish` only writes the frames. */
export interface AmqpReplyChannelLike extends AmqpChannelLike {
  publish(exchange: string, routingKey: string, content: Buffer, options: AmqpPublishOptions): boolean;
}

/** What an {@link AmqpReplySender} needs from its transport. */
export interface AmqpReplySenderOptions {
  /** Longest wait for the reply channel while it is down (reconnecting), and for its close-ok. */
  readonly timeoutMs: number;
  readonly backoff: BackoffPolicy;
  readonly logger: Logger;
}

/**
 * Sends replies on one channel without publisher confirms, opened on the first reply.
 *
 * Why no confirms: a reply goes to a direct reply-to address, which the broker routes straight to the
 * requester's channel or drops when that is gone; a confirm says neither. Waiting for it held every
 * request's ack (and its prefetch slot) one more broker round trip and cost a confirm frame per reply,
 * for nothing the requester could observe. What a reply can still fail on is the channel: a reply sent
 * while it is down waits for it (bounded), one whose channel breaks under it is lost like any reply to a
 * requester that went away, and the requester's timeout covers it.
 */
export class AmqpReplySender {
  /** The reply channel, to register with the connection monitor. */
  readonly supervisor: ChannelSupervisor<AmqpReplyChannelLike>;

  constructor(private readonly options: AmqpReplySenderOptions) {
    this.supervisor = new ChannelSupervisor<AmqpReplyChannelLike>({
      name: 'reply channel',
      open: (connection) => {
        // A responder lives on round trips too: see socket-no-delay.ts.
        disableNagle(connection);
        return connection.createChannel() as Promise<AmqpReplyChannelLike>;
      },
      setup: async () => undefined,
      closeTimeoutMs: options.timeoutMs,
      backoff: options.backoff,
      logger: options.logger,
    });
  }

  /**
   * Writes the reply on the reply channel, waiting for the channel (up to `timeoutMs`) while it is down.
   * @throws PublishTimeoutError when the channel does not come back in time; TransportStateError once closed.
   */
  async send(message: OutboundMessage): Promise<void> {
    // A reply needs no message id of its own (the correlation id names it); send one only when given.
    const { messageId, ...rest } = toPublishOptions(message, message.properties.messageId ?? '');
    const options: AmqpPublishOptions = messageId === '' ? rest : { ...rest, messageId };
    let channel = this.supervisor.channel;
    if (!channel) {
      const { timeoutMs } = this.options;
      channel = await withTimeout(this.supervisor.waitUntilUp(() => false), timeoutMs, () => new PublishTimeoutError(timeoutMs, 'buffered'));
    }
    try {
      // false only means amqplib buffers the frames for now: they still go out in order.
      channel.publish(message.exchange, message.routingKey, message.body, options);
    } catch (error) {
      // amqplib throws once the channel has started closing.
      throw new TransportStateError(`Could not send the reply: ${errorMessage(error)}`);
    }
  }

  /** Closes the reply channel for good. */
  close(): Promise<void> {
    return this.supervisor.close();
  }
}
