import type { SettlementState } from '../consumer/delivery.settlement.js';
import type { InboundMessage, OutboundMessage } from '../transports/transport.interface.js';

/**
 * Runs around every publish, in the order given: may return a changed message (add headers, e.g. a
 * tenant or trace context) and observe the outcome by awaiting `next` (which resolves on the broker's
 * confirm). It must call `next` exactly once, or throw to refuse the publish.
 */
export type PublishMiddleware = (message: OutboundMessage, next: (message: OutboundMessage) => Promise<void>) => Promise<void>;

/** What a consume middleware sees of one delivery; `outcome`/`error` are set once `next` resolves. */
export interface ConsumeMiddlewareContext {
  readonly message: InboundMessage;
  /** Which delivery of the message this is, from 1. */
  readonly attempt: number;
  /** How the delivery was settled, once processing is over (`pending` for a manual-ack handler still holding it). */
  outcome: SettlementState;
  /** The handler (or pipeline) error, when it failed. */
  error: Error | undefined;
  /** The handler it was routed to, once known. */
  consumer: string | undefined;
}

/**
 * Runs around the processing of every delivery (decode, validation, handler, settlement), in the order
 * given, so it can time it or run it inside a context (e.g. a trace span). It must call `next` exactly
 * once; `next` never rejects.
 */
export type ConsumeMiddleware = (context: ConsumeMiddlewareContext, next: () => Promise<void>) => Promise<void>;

/** Chains publish middlewares around `send`, the first in the list outermost. */
export function composePublish(middlewares: readonly PublishMiddleware[], send: (message: OutboundMessage) => Promise<void>): (message: OutboundMessage) => Promise<void> {
  return middlewares.reduceRight<(message: OutboundMessage) => Promise<void>>((next, middleware) => (message) => middleware(message, next), send);
}

/** Chains consume middlewares around `process`, the first in the list outermost. */
export function composeConsume(
  middlewares: readonly ConsumeMiddleware[],
  process: (context: ConsumeMiddlewareContext) => Promise<void>,
): (context: ConsumeMiddlewareContext) => Promise<void> {
  return middlewares.reduceRight<(context: ConsumeMiddlewareContext) => Promise<void>>(
    (next, middleware) => (context) => middleware(context, () => next(context)),
    process,
  );
}
