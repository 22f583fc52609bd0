import type { Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { originOf } from '../retry/retry.headers.js';
import type { DeadLetterOutcome, DeadLetterRequest, InboundMessage, OutboundMessage } from './transport.interface.js';

/** Where a queue's failed messages go: its dead-letter exchange and routing key. */
export interface DeadLetterTarget {
  readonly exchange: string;
  /** Routing key for the copy; the key the message was first published with when undefined. */
  readonly routingKey: string | undefined;
}

/**
 * Where a queue's dead-letter copies go: its dead-letter exchange, else its error queue through the
 * default exchange, else nowhere.
 */
export function deadLetterTargetOf(queue: {
  readonly deadLetterExchange?: string;
  readonly deadLetterRoutingKey?: string;
  readonly errorQueue?: string | false;
} | undefined): DeadLetterTarget | undefined {
  if (queue?.deadLetterExchange !== undefined) return { exchange: queue.deadLetterExchange, routingKey: queue.deadLetterRoutingKey };
  if (queue?.errorQueue) return { exchange: '', routingKey: queue.errorQueue };
  return undefined;
}

/** The parts of a delivery that dead-lettering by copy needs. */
export interface CopyableDelivery {
  readonly message: InboundMessage;
  readonly attempt: number;
  readonly signal: AbortSignal;
  ack(): boolean;
  nack(requeue: boolean): boolean;
}

/** What {@link deadLetterByCopy} works with. */
export interface DeadLetterCopyOptions {
  readonly delivery: CopyableDelivery;
  readonly request: DeadLetterRequest;
  /** The queue's dead-letter destination; undefined when it has none. */
  readonly target: DeadLetterTarget | undefined;
  /** Publishes with confirms; rejects when the broker did not take the copy (unroutable, refused, down). */
  readonly publish: (message: OutboundMessage) => Promise<void>;
  readonly logger: Logger;
  /** Wait before requeueing a message whose copy could not be published, by attempt (from 1). */
  readonly requeueDelayMs?: (attempt: number) => number;
}

/** 1 s, doubling per attempt up to 30 s: a message whose dead-letter copy keeps failing must not spin. */
export function defaultRequeueDelayMs(attempt: number): number {
  return Math.min(30_000, 1000 * 2 ** Math.min(Math.max(attempt - 1, 0), 5));
}

/**
 * How a move by copy ended: `moved` (copy confirmed, original acked), `copied-but-stale` (copy confirmed,
 * but the original's channel closed first: it comes back, a duplicate), `requeued` (the copy failed, the
 * original went back), `stale` (the copy failed and the original's channel closed too).
 */
export type CopyMoveOutcome = 'moved' | 'copied-but-stale' | 'requeued' | 'stale';

/**
 * Moves a delivery by copy: publishes `copy` (confirmed), then acks the original, so a crash in between
 * duplicates and never loses. When the copy cannot be published, `onPublishFailed` is told and the original
 * is requeued after `requeueDelayMs` (a wait the delivery going stale cuts short). Shared by dead-lettering
 * and delayed retries, which differ only in where the copy goes and what they log.
 */
export async function moveByCopy(
  delivery: CopyableDelivery,
  copy: OutboundMessage,
  publish: (message: OutboundMessage) => Promise<void>,
  requeueDelayMs: () => number,
  onPublishFailed: (error: Error, delayMs: number) => void,
): Promise<CopyMoveOutcome> {
  try {
    await publish(copy);
  } catch (error) {
    const delayMs = requeueDelayMs();
    onPublishFailed(error instanceof Error ? error : new Error(String(error)), delayMs);
    await sleep(delayMs, undefined, { signal: delivery.signal }).catch(() => undefined);
    return delivery.nack(true) ? 'requeued' : 'stale';
  }
  return delivery.ack() ? 'moved' : 'copied-but-stale';
}

/**
 * Dead-letters a delivery by publishing a copy, with the failure headers merged in, to the queue's
 * dead-letter exchange (confirmed and mandatory), and acknowledging the original only after the broker
 * took the copy. A broker's own dead-lettering (`nack` without requeue) would record only "rejected".
 *
 * Nothing is lost on the way: when the copy is unroutable or cannot be published, the original is
 * requeued after a backoff (never nacked into a dead-letter exchange that routes nowhere); when the
 * delivery went stale, nothing is published because the broker will deliver it again. A crash between
 * the confirmed copy and the ack duplicates the message, never loses it.
 */
export async function deadLetterByCopy(options: DeadLetterCopyOptions): Promise<DeadLetterOutcome> {
  const { delivery, request, target, logger } = options;
  const { message } = delivery;
  if (delivery.signal.aborted) return 'stale';
  if (target === undefined) {
    if (!delivery.nack(false)) return 'stale';
    logger.error(`${request.summary}. Queue "${message.queue}" has no dead-letter exchange: the message is DISCARDED.`);
    return 'discarded';
  }
  const { expiration: _expiresNoMore, ...properties } = message.properties;
  const copy: OutboundMessage = {
    exchange: target.exchange,
    // A message back from the delay line carries the line's routing key (e.g. `1.0.1`), which a topic or
    // direct dead-letter exchange would route nowhere: the copy goes with the key it was published with.
    routingKey: target.routingKey ?? originOf(message).routingKey,
    body: message.body,
    properties: { ...properties, headers: { ...properties.headers, ...request.headers } },
    mandatory: true,
  };
  const requeueDelayMs = (): number => (options.requeueDelayMs ?? defaultRequeueDelayMs)(delivery.attempt);
  const outcome = await moveByCopy(delivery, copy, options.publish, requeueDelayMs, (error, delayMs) =>
    logger.error(
      `${request.summary}. Its dead-letter copy to exchange "${target.exchange}" failed (${error.message}); ` +
        `the message stays in queue "${message.queue}" and is requeued in ${delayMs} ms.`,
    ),
  );
  if (outcome === 'requeued' || outcome === 'stale') return outcome;
  if (outcome === 'copied-but-stale') {
    logger.warn(`${request.summary}. Dead-lettered to "${target.exchange}", but the original's channel closed first: it will be delivered again.`);
    return 'stale';
  }
  logger.warn(`${request.summary}. Dead-lettered to exchange "${target.exchange}".`);
  return 'dead-lettered';
}
