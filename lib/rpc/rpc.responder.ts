import { Logger } from '@nestjs/common';
import { validateMessage, type MessageContract } from '../contracts/index.js';
import { RequestExpiredError } from '../errors/index.js';
import { retryHistory } from '../retry/retry.headers.js';
import type { HandlerInvoker } from '../consumer/consumer-binding.types.js';
import { FAILURE_HEADERS } from '../consumer/delivery-failure.types.js';
import {
  DIRECT_REPLY_TO,
  type DeadLetterOutcome,
  type DeadLetterRequest,
  type HeaderValue,
  type InboundMessage,
  type MessagingTransport,
  type RequestReply,
  type TransportDelivery,
} from '../transports/transport.interface.js';
import { errorReply, successReply } from './rpc-reply.codec.js';
import { requestDeadline } from './rpc-request.deadline.js';

/** A message someone waits for an answer to: it names a direct reply-to address and a correlation id. */
export function isRequest(message: InboundMessage): boolean {
  const { replyTo, correlationId } = message.properties;
  return correlationId !== undefined && replyTo !== undefined && replyTo.startsWith(DIRECT_REPLY_TO);
}

function headerText(headers: Readonly<Record<string, HeaderValue>>, name: string, fallback: string): string {
  const value = headers[name];
  return typeof value === 'string' ? value : fallback;
}

/**
 * Answers requests on behalf of request handlers (an RPC contract's `@Consumer`, a `@MessagePattern`), on
 * top of the ordinary consume pipeline rather than beside it:
 * - a request handler's result is validated (against the RPC contract's response schema, if any) and
 *   sent as the reply before the dispatcher acks the request;
 * - every failure, wherever the pipeline detects it (decode, validation, unknown type, guard, handler,
 *   `ctx.reject()`), ends in the delivery's `deadLetter`, which this wraps: once the request is
 *   dead-lettered (or discarded), the requester gets an error reply built from the same failure headers,
 *   instead of waiting for its timeout. A delivery that went stale or was requeued gets no reply: the
 *   broker delivers it again and that delivery answers.
 * - Only request handlers answer: a failure recorded for any other consumer sends nothing, so a message
 *   that merely carries a reply address learns nothing of a one-way consumer's errors.
 */
export class RpcResponder {
  private readonly logger = new Logger('Messaging');
  private readonly replied = new WeakSet<InboundMessage>();

  constructor(private readonly transport: MessagingTransport & RequestReply) {}

  /**
   * The invoker of a request handler: calls it, then replies with its (validated) result when the message
   * is a request. `responseContract` (see `responseContractOf`, built once per handler) validates (and
   * transforms) the result; without it the result is sent as is. A request's retry copy arriving past its
   * deadline is refused with `RequestExpiredError` before the handler (and its guards) run; that failure
   * is past the deadline too, so it is dead-lettered, not retried.
   */
  wrapInvoker(invoker: HandlerInvoker, responseContract: MessageContract | undefined): HandlerInvoker {
    return async (payload, context) => {
      // A retry copy that waited too long (behind others): its requester gave up, nobody would hear the
      // answer. Only retry copies: a first delivery waited under the broker's own expiry, which needs no
      // clock agreement between the two hosts.
      const deadline = retryHistory(context.message.properties.headers).delays.length > 0 ? this.deadlineOf(context.message) : undefined;
      if (deadline !== undefined && Date.now() >= deadline) throw new RequestExpiredError(context.message.properties.messageId, new Date(deadline));
      const result = await invoker(payload, context);
      if (!isRequest(context.message)) return result;
      const value = responseContract ? await validateMessage(responseContract, result) : result;
      await this.transport.reply(context.message, successReply(value));
      this.replied.add(context.message);
      return result;
    };
  }

  /**
   * When the requester of `message` stops waiting (ms since the epoch), for a request; undefined for any
   * other message, or a request that does not say.
   */
  deadlineOf(message: InboundMessage): number | undefined {
    return isRequest(message) ? requestDeadline(message) : undefined;
  }

  /**
   * The delivery as the dispatcher should see it: a request gets the error reply on dead-lettering when
   * the consumer recorded as failing (`x-failure-consumer`, written by the dispatcher, never taken from
   * the message) is one of `answering`: request handlers, and a queue's combined name for its failures
   * before routing (unknown type) when one of its handlers answers requests.
   */
  wrapDelivery(delivery: TransportDelivery, answering: ReadonlySet<string>): TransportDelivery {
    if (!isRequest(delivery.message)) return delivery;
    return {
      message: delivery.message,
      attempt: delivery.attempt,
      signal: delivery.signal,
      ack: () => delivery.ack(),
      nack: (requeue) => delivery.nack(requeue),
      deadLetter: async (request) => {
        const outcome = await delivery.deadLetter(request);
        if (answering.has(headerText(request.headers, FAILURE_HEADERS.consumer, ''))) await this.replyWithFailure(delivery.message, request, outcome);
        return outcome;
      },
    };
  }

  private async replyWithFailure(message: InboundMessage, request: DeadLetterRequest, outcome: DeadLetterOutcome): Promise<void> {
    if ((outcome !== 'dead-lettered' && outcome !== 'discarded') || this.replied.has(message)) return;
    this.replied.add(message);
    const { headers } = request;
    try {
      await this.transport.reply(
        message,
        errorReply({
          name: headerText(headers, FAILURE_HEADERS.error, 'Error'),
          message: headerText(headers, FAILURE_HEADERS.reason, 'the request failed'),
          kind: headerText(headers, FAILURE_HEADERS.kind, 'handler'),
        }),
      );
    } catch (error) {
      // The request is settled already; the requester times out instead of hearing why.
      this.logger.warn(`Could not send the error reply to request ${message.properties.messageId ?? '(no id)'}: ${(error as Error).message}`);
    }
  }
}
