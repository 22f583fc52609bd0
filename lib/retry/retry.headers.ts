import type { HeaderValue, InboundMessage } from '../transports/transport.interface.js';
import { DELIVERY_COUNT_HEADER, RETRY_ATTEMPT_HEADER } from '../transports/delivery-attempt.js';

/**
 * Headers recording a message's retry history. They travel with every retry copy and end up on the
 * error-queue copy when the retries run out, so an operator sees every attempt and every wait.
 */
export const RETRY_HEADERS = {
  /** Attempts that failed so far (immediate and delayed); `ctx.attempt` of the next delivery is one more. */
  attempt: RETRY_ATTEMPT_HEADER,
  /** ISO time of the first failure. */
  firstFailureAt: 'x-retry-first-failure-at',
  /** Message of the latest error. */
  lastError: 'x-retry-last-error',
  /** Every delay waited so far, in ms, oldest first. */
  delays: 'x-retry-delays',
  /** The queue the message failed on and returns to (no `x-` prefix: headers exchanges ignore those when matching). */
  target: 'messaging-retry-target',
  /** Where the message was first published, kept because the retry hop changes both. */
  originalExchange: 'x-retry-original-exchange',
  originalRoutingKey: 'x-retry-original-routing-key',
} as const;

/**
 * Headers the broker wrote while dead-lettering. They are stripped from a retry copy: RabbitMQ 3.x reads a
 * client-set `x-death` and would drop a message it sees cycling through the delay queues again.
 */
export const BROKER_DEATH_HEADERS: readonly string[] = ['x-death', 'x-first-death-reason', 'x-first-death-queue', 'x-first-death-exchange', 'x-last-death-reason', 'x-last-death-queue', 'x-last-death-exchange'];

/** What is known about a message's retries so far. */
export interface RetryHistory {
  readonly delays: readonly number[];
  readonly firstFailureAt: string | undefined;
}

/** The retry history a message carries (empty on its first failure). */
export function retryHistory(headers: Readonly<Record<string, HeaderValue>> | undefined): RetryHistory {
  const delays = headers?.[RETRY_HEADERS.delays];
  const first = headers?.[RETRY_HEADERS.firstFailureAt];
  return {
    delays: Array.isArray(delays) ? delays.filter((d): d is number => typeof d === 'number') : [],
    firstFailureAt: typeof first === 'string' ? first : undefined,
  };
}

/**
 * Where the message was originally published: a message back from a retry hop arrived through the delay
 * exchanges, so its own exchange and routing key are the hop's.
 */
export function originOf(message: InboundMessage): { exchange: string; routingKey: string } {
  const headers = message.properties.headers;
  const exchange = headers?.[RETRY_HEADERS.originalExchange];
  const routingKey = headers?.[RETRY_HEADERS.originalRoutingKey];
  return {
    exchange: typeof exchange === 'string' ? exchange : message.exchange,
    routingKey: typeof routingKey === 'string' ? routingKey : message.routingKey,
  };
}

/** The headers of a retry copy: the message's own, minus broker death records and delivery count, plus the updated history. */
export function retryCopyHeaders(
  message: InboundMessage,
  failedAttempt: number,
  error: Error,
  delayMs: number,
  now: Date,
): Record<string, HeaderValue> {
  const headers: Record<string, HeaderValue> = { ...message.properties.headers };
  for (const name of BROKER_DEATH_HEADERS) delete headers[name];
  // The broker's count of this delivery: stale on the copy (a classic queue would take it for a producer's).
  delete headers[DELIVERY_COUNT_HEADER];
  const history = retryHistory(message.properties.headers);
  const origin = originOf(message);
  return {
    ...headers,
    [RETRY_HEADERS.attempt]: failedAttempt,
    [RETRY_HEADERS.firstFailureAt]: history.firstFailureAt ?? now.toISOString(),
    [RETRY_HEADERS.lastError]: error.message.slice(0, 1024),
    [RETRY_HEADERS.delays]: [...history.delays, delayMs],
    [RETRY_HEADERS.target]: message.queue,
    [RETRY_HEADERS.originalExchange]: origin.exchange,
    [RETRY_HEADERS.originalRoutingKey]: origin.routingKey,
  };
}
