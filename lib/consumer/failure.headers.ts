import { BROKER_DEATH_HEADERS, originOf, RETRY_HEADERS } from '../retry/retry.headers.js';
import { DELIVERY_COUNT_HEADER, RETRY_ATTEMPT_HEADER } from '../transports/delivery-attempt.js';
import { MessageValidationError } from '../errors/index.js';
import type { HeaderValue, InboundMessage } from '../transports/transport.interface.js';
import { FAILURE_HEADERS, type DeliveryFailure } from './delivery-failure.types.js';

const MAX_REASON = 2048;
const MAX_STACK = 4096;

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * Where the message was first published. A message back from a retry hop or a redrive arrived through the
 * SDK's own routes, so the origin recorded earlier (by a previous failure, or the retry hop) wins.
 */
function originalDestination(message: InboundMessage): Record<string, HeaderValue> {
  const headers = message.properties.headers;
  const recorded = headers?.[FAILURE_HEADERS.originalExchange];
  if (typeof recorded === 'string') {
    return { [FAILURE_HEADERS.originalExchange]: recorded, [FAILURE_HEADERS.originalRoutingKey]: headers?.[FAILURE_HEADERS.originalRoutingKey] ?? message.routingKey };
  }
  const origin = originOf(message);
  return { [FAILURE_HEADERS.originalExchange]: origin.exchange, [FAILURE_HEADERS.originalRoutingKey]: origin.routingKey };
}

/** What the failure headers include beyond the always-present ones. */
export interface FailureHeaderOptions {
  /**
   * Record the handler's stack trace in `x-failure-stack`. Off by default: stacks reveal code paths and
   * file layout to whoever can read the dead-letter queue.
   */
  readonly stack?: boolean;
}

/**
 * Headers describing a failure, merged over the message's own headers on the dead-lettered copy.
 * Lengths are capped because brokers limit frame sizes and a huge stack must not make the
 * dead-letter publish itself fail.
 */
export function buildFailureHeaders(
  message: InboundMessage,
  failure: DeliveryFailure,
  options: FailureHeaderOptions = {},
  now = new Date(),
): Record<string, HeaderValue> {
  const headers: Record<string, HeaderValue> = {
    [FAILURE_HEADERS.kind]: failure.kind,
    [FAILURE_HEADERS.reason]: clip(failure.error.message, MAX_REASON),
    [FAILURE_HEADERS.error]: failure.error.name,
    [FAILURE_HEADERS.at]: now.toISOString(),
    [FAILURE_HEADERS.queue]: message.queue,
    [FAILURE_HEADERS.consumer]: failure.consumer,
    ...originalDestination(message),
    // The broker's count of the failed delivery: stale on the copy, where a classic error queue's
    // consumer would take it for its own and set a poison copy aside as poison again.
    [DELIVERY_COUNT_HEADER]: undefined,
  };
  if (message.properties.headers?.[RETRY_HEADERS.target] !== undefined) {
    // Back from a delay hop: the broker's death records are of the SDK's delay queues, not of a failure.
    for (const name of BROKER_DEATH_HEADERS) headers[name] = undefined;
  }
  if (failure.attempts !== undefined) {
    headers[FAILURE_HEADERS.attempts] = failure.attempts;
    // The count the retry hops carried is one hop behind by now: record the final one.
    headers[RETRY_ATTEMPT_HEADER] = failure.attempts;
  }
  if (failure.error instanceof MessageValidationError) {
    headers[FAILURE_HEADERS.issues] = clip(JSON.stringify(failure.error.issues), MAX_REASON);
  }
  if (options.stack && failure.kind === 'handler' && failure.error.stack) {
    headers[FAILURE_HEADERS.stack] = clip(failure.error.stack, MAX_STACK);
  }
  return headers;
}
