import type { ArgumentsHost } from '@nestjs/common';
import { NotMessagingContextError } from '../errors/index.js';
import { MessageContext } from './message.context.js';
import { MESSAGING_CONTEXT_TYPE, type AnyContextType } from './messaging-context.type.js';

/**
 * True when `host` wraps a `@Consumer` handler call. Use it in enhancers shared with HTTP, RPC or
 * WebSocket handlers before reading the message.
 */
export function isMessagingContext(host: ArgumentsHost): boolean {
  return host.getType<AnyContextType>() === MESSAGING_CONTEXT_TYPE && host.getArgByIndex<unknown>(1) instanceof MessageContext;
}

/**
 * The {@link MessageContext} of the message being handled, from a guard's or interceptor's
 * `ExecutionContext` or a filter's `ArgumentsHost`: the message and its headers, the contract and
 * consumer names, and the settle calls (`ack`, `nack`, `reject`).
 *
 * @throws NotMessagingContextError when `host` is not a messaging context (check {@link isMessagingContext}).
 *
 * @example
 * intercept(context: ExecutionContext, next: CallHandler) {
 *   const message = getMessageContext(context);
 *   this.logger.log(`${message.consumer} handling ${message.contract} ${message.messageId}`);
 *   return next.handle();
 * }
 */
export function getMessageContext<TPayload = unknown>(host: ArgumentsHost): MessageContext<TPayload> {
  const context = host.getArgByIndex<unknown>(1);
  if (host.getType<AnyContextType>() !== MESSAGING_CONTEXT_TYPE || !(context instanceof MessageContext)) {
    throw new NotMessagingContextError(host.getType());
  }
  // The runner builds the context with the validated payload of this consumer's contract.
  return context as MessageContext<TPayload>;
}
