import type { HeaderValue, InboundMessage } from '../transports/transport.interface.js';

/**
 * Header the SDK's requesters (`RpcProducer.request`, `MessagePublisher.request`, `MessagingClient.send`)
 * set on a request: when the requester stops waiting, in ms since the epoch. The retry copies of a request
 * carry it (they drop the per-message `expiration`), so every retry decision can see the deadline.
 */
export const RPC_DEADLINE_HEADER = 'x-rpc-deadline';

/** The headers of a request that its requester waits for until `deadline` (ms since the epoch). */
export function withRequestDeadline(
  headers: Readonly<Record<string, HeaderValue>> | undefined,
  deadline: number,
): Record<string, HeaderValue> {
  return { ...headers, [RPC_DEADLINE_HEADER]: deadline };
}

/**
 * When the requester of `message` stops waiting, in ms since the epoch: the SDK's deadline header, else
 * (a requester from another stack) its `timestamp` plus its `expiration`, else undefined. Compared with
 * this host's clock, so it assumes clocks in step, as the AMQP timestamp does. A header from outside can
 * only make the SDK answer its own sender's request sooner (or retry it as any message), nothing more.
 */
export function requestDeadline(message: InboundMessage): number | undefined {
  const { headers, timestamp, expiration } = message.properties;
  const stated = headers?.[RPC_DEADLINE_HEADER];
  if (typeof stated === 'number' && Number.isFinite(stated)) return stated;
  if (typeof timestamp === 'number' && typeof expiration === 'number') return timestamp * 1000 + expiration;
  return undefined;
}
