import type { HeaderValue, MessageProperties } from './transport.interface.js';

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

/** The retries a message's `x-retry-attempt` header records (0 when absent or not a positive integer). */
export function recordedRetries(headers: Readonly<Record<string, HeaderValue>> | undefined): number {
  return count(headers?.[RETRY_ATTEMPT_HEADER]);
}

/**
 * How often the broker says it delivered the message before, or `undefined` where the queue keeps no
 * count. Only a queue that counts (`brokerCounts`: RabbitMQ quorum queues) is asked, and only on a
 * redelivery: RabbitMQ 3.10 overwrites `x-delivery-count` when it returns a message, but a first
 * delivery still carries whatever the producer put there, and a classic queue never touches it. So a
 * producer's header can never make a fresh message look delivered many times.
 */
export function brokerDeliveryCount(properties: MessageProperties, redelivered: boolean, brokerCounts: boolean): number | undefined {
  if (!brokerCounts) return undefined;
  return redelivered ? count(properties.headers?.[DELIVERY_COUNT_HEADER]) : 0;
}

/**
 * Which attempt a delivery is, from 1. Retries recorded by the SDK come first; on top of them, the
 * broker's own delivery count where the queue keeps one (`brokerCounts`, see {@link brokerDeliveryCount}),
 * else 1 for a redelivered message (a classic queue only says "delivered before", not how often).
 * Whether the retry header may be believed is the consumer's call (it knows the SDK's delay line).
 */
export function deliveryAttempt(properties: MessageProperties, redelivered: boolean, brokerCounts = true): number {
  const retries = recordedRetries(properties.headers);
  const brokerCount = brokerDeliveryCount(properties, redelivered, brokerCounts);
  const redeliveries = brokerCount ?? (redelivered ? 1 : 0);
  return 1 + retries + redeliveries;
}
