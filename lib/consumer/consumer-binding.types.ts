import type { MessageContract } from '../contracts/index.js';
import type { ResolvedRetryPolicy } from '../retry/retry-policy.resolver.js';
import type { AckMode } from '../decorators/consumer.decorator.js';
import type { MessageContext } from './message.context.js';

/** Calls one handler method (through Nest's enhancers where any apply) with a payload and its context. */
export type HandlerInvoker = (payload: unknown, context: MessageContext<unknown>) => unknown;

/** One `@Consumer` method, validated: what it consumes and how to call it. */
export interface HandlerBinding {
  /** `Class.method` unless configured. */
  readonly name: string;
  readonly contract: MessageContract;
  readonly ack: AckMode;
  readonly invoke: HandlerInvoker;
  /** How its failures are retried. */
  readonly retry: ResolvedRetryPolicy;
  /** Deliveries after which a message is set aside as poison without running the handler; undefined = never. */
  readonly maxDeliveries: number | undefined;
}

/** Everything consumed from one queue: one subscription, its limits, and its handlers by message type. */
export interface QueueBinding {
  readonly queue: string;
  readonly prefetch: number;
  readonly concurrency: number;
  /** Handlers by contract name, which producers send as the message `type`. */
  readonly handlers: ReadonlyMap<string, HandlerBinding>;
  /** Takes the messages whose type no handler claims (`acceptsAnyType`). */
  readonly fallback: HandlerBinding | undefined;
  /** The handlers' names, for logs and consumer tags. */
  readonly name: string;
}
