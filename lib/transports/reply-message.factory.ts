import { InvalidOptionsError } from '../errors/index.js';
import type { InboundMessage, OutboundMessage, ReplyMessage } from './transport.interface.js';

/**
 * The message that answers `request`: to the default exchange with the request's reply address as the
 * routing key, its correlation id copied, and never mandatory, because RabbitMQ up to 4.1 answers a
 * mandatory direct reply with `basic.return` even when it delivered it.
 *
 * @throws InvalidOptionsError when the request carries no `replyTo` or `correlationId`.
 */
export function replyOutbound(request: InboundMessage, reply: ReplyMessage): OutboundMessage {
  const { replyTo, correlationId, messageId } = request.properties;
  if (!replyTo || correlationId === undefined) {
    throw new InvalidOptionsError(
      `Message ${messageId ?? '(no id)'} from queue "${request.queue}" is not a request: it has no replyTo or correlationId to answer`,
    );
  }
  const { replyTo: _ignored, ...properties } = reply.properties;
  return {
    exchange: '',
    routingKey: replyTo,
    body: reply.body,
    mandatory: false,
    // Replies are transient: the address dies with the requester's connection, so persisting them buys nothing.
    properties: { ...properties, correlationId, persistent: false },
  };
}
