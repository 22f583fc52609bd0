import { BaseRpcContext } from '@nestjs/microservices';
import type { DeadLetterOutcome } from '../transports/transport.interface.js';
import type { HeaderValue, InboundMessage } from '../transports/transport.interface.js';
import type { MessageContext, NackOptions } from '../consumer/message.context.js';

/**
 * What `@Ctx()` gives a `@EventPattern`/`@MessagePattern` handler on {@link MessagingServer}: the message,
 * its headers (with the client's packet metadata), which delivery this is, and the settle handles. In the
 * default `auto` mode settling is optional: success acks, a throw dead-letters; an explicit call wins.
 */
export class MessagingRpcContext extends BaseRpcContext<[MessageContext, string]> {
  constructor(context: MessageContext, pattern: string) {
    super([context, pattern]);
  }

  /** The SDK's own message context (the same one `@Consumer` handlers get). */
  getMessageContext(): MessageContext {
    return this.args[0];
  }

  /** The pattern the message was routed by (its `type`). */
  getPattern(): string {
    return this.args[1];
  }

  /** The message as the transport delivered it. */
  getMessage(): InboundMessage {
    return this.args[0].message;
  }

  /** Application headers; a `MessagingClient` puts the packet metadata (`setOnDispatchHook`) here. */
  getHeaders(): Readonly<Record<string, HeaderValue>> {
    return this.args[0].headers;
  }

  /** The client's packet metadata: the string-valued headers, as Nest's TCP and Redis contexts expose it. */
  getMetadata(): Record<string, string> {
    const metadata: Record<string, string> = {};
    for (const [key, value] of Object.entries(this.getHeaders())) if (typeof value === 'string') metadata[key] = value;
    return metadata;
  }

  /** Which delivery of this message this is, from 1. */
  getAttempt(): number {
    return this.args[0].attempt;
  }

  /** Aborts when the delivery went stale or shutdown stopped waiting. */
  getSignal(): AbortSignal {
    return this.args[0].signal;
  }

  /** Acknowledges now. */
  ack(): void {
    this.args[0].ack();
  }

  /** Negatively acknowledges; requeued unless `requeue: false`. */
  nack(options?: NackOptions): void {
    this.args[0].nack(options);
  }

  /** Dead-letters with `reason` recorded in the `x-failure-*` headers. */
  reject(reason?: string | Error): Promise<DeadLetterOutcome> {
    return this.args[0].reject(reason);
  }
}
