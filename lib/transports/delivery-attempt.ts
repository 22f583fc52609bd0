import type { MessageProperties } from './transport.interface.js';

/**
 * Header in which the SDK counts the retries a message went through (its retry hops re-publish it).
 * RabbitMQ 4 ignores a client-set `x-death`, so the count cannot live there.
 */
export const RETRY_ATTEMPT_HEADER = 'x-retry-attempt';

/** Header RabbitMQ quorum queues set on a redelivery: how many times the message was returned before. */
export const DELIVERY_COUNT_HEADER = 'x-delivery-count';

function count(value: unknown): number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : 0;
}

/**
 * Which attempt a delivery is, from 1. Retries recorded by the SDK come first; on top of them, the
 * broker's own delivery count where it keeps one, else 1 for a redelivered message (a classic queue only
 * says "delivered before", not how often).
 */
export function deliveryAttempt(properties: MessageProperties, redelivered: boolean): number {
  const headers = properties.headers;
  const retries = count(headers?.[RETRY_ATTEMPT_HEADER]);
  const brokerCount = headers?.[DELIVERY_COUNT_HEADER];
  const redeliveries = brokerCount !== undefined ? count(brokerCount) : redelivered ? 1 : 0;
  return 1 + retries + redeliveries;
}
