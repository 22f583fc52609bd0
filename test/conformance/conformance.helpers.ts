import { it } from '@jest/globals';
import type {
  HeaderValue,
  MessageProperties,
  MessagingTransport,
  OutboundMessage,
  TransportDelivery,
  TransportSubscription,
} from '../../lib/transports/transport.interface.js';
import type { ConformanceCaseId, TransportHarness } from './conformance.harness.js';

/** Declares one conformance test, skipped with its reason when the harness lists it as a known failure. */
export function conformanceCase(harness: TransportHarness, id: ConformanceCaseId, title: string, body: () => Promise<void>): void {
  const knownFailure = harness.knownFailures?.[id];
  if (knownFailure !== undefined) it.skip(`${title} [KNOWN FAILURE: ${knownFailure}]`, body);
  else it(title, body);
}

/** A transport created by the harness and started on `topology` (which the harness will delete). */
export async function startedTransport(harness: TransportHarness, topology: Parameters<TransportHarness['declare']>[0]): Promise<MessagingTransport> {
  const transport = harness.create();
  await transport.start(harness.declare(topology));
  return transport;
}

/** An outbound message whose body is `body` as text. */
export function outbound(exchange: string, routingKey: string, body: string, properties: MessageProperties = {}, mandatory = true): OutboundMessage {
  return { exchange, routingKey, body: Buffer.from(body), properties: { messageId: body, ...properties }, mandatory };
}

/** Publishes bodies one after the other, each confirmed before the next: their queue order is known. */
export async function publishInOrder(transport: MessagingTransport, exchange: string, routingKey: string, bodies: readonly string[], properties: MessageProperties = {}): Promise<void> {
  for (const body of bodies) await transport.publish(outbound(exchange, routingKey, body, properties));
}

/** Deliveries a subscription received, in order, for the test to inspect and settle. */
export interface Collected {
  readonly deliveries: TransportDelivery[];
  readonly subscription: TransportSubscription;
  /** Bodies as text, in delivery order. */
  bodies(): string[];
}

/** Subscribes and keeps every delivery; `settle` (if given) settles each as it arrives. */
export async function collect(
  transport: MessagingTransport,
  queue: string,
  options: { prefetch?: number; name?: string; settle?: (delivery: TransportDelivery, index: number) => void } = {},
): Promise<Collected> {
  const deliveries: TransportDelivery[] = [];
  const subscription = await transport.consume(
    { queue, prefetch: options.prefetch ?? 10, consumerName: options.name ?? 'conformance' },
    (delivery) => {
      deliveries.push(delivery);
      options.settle?.(delivery, deliveries.length - 1);
    },
  );
  return { deliveries, subscription, bodies: () => deliveries.map((d) => d.message.body.toString()) };
}

/** Polls `condition` every few milliseconds, failing with `description` after `timeoutMs`. */
export async function waitUntil(condition: () => boolean | Promise<boolean>, description: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for: ${description}`);
    await sleep(5);
  }
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Drains a queue until `count` messages came out (brokers may take a moment to move dead letters). */
export async function drainAtLeast(harness: TransportHarness, transport: MessagingTransport, queue: string, count: number, timeoutMs = 10_000): Promise<Awaited<ReturnType<TransportHarness['drain']>>> {
  const drained: Awaited<ReturnType<TransportHarness['drain']>> = [];
  await waitUntil(async () => {
    drained.push(...(await harness.drain(transport, queue)));
    return drained.length >= count;
  }, `${count} message(s) in queue "${queue}"`, timeoutMs);
  return drained;
}

/** The error a promise rejects with; fails when it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject, but it resolved');
}

/**
 * Publishes one message with `headers` to a fresh classic queue and a fresh quorum queue, requeues its
 * first delivery and acks the second, and returns both queues' two deliveries: how each queue type counts
 * a redelivery of a message that carries the given headers.
 */
export async function twoDeliveriesEach(harness: TransportHarness, headers: Record<string, HeaderValue>): Promise<{ fromClassic: Collected; fromQuorum: Collected }> {
  const classic = harness.name('classic');
  const quorum = harness.name('quorum');
  const transport = await startedTransport(harness, { queues: [{ name: classic }, { name: quorum, type: 'quorum' }] });
  const settle = (d: TransportDelivery, i: number): boolean => (i === 0 ? d.nack(true) : d.ack());
  const fromClassic = await collect(transport, classic, { settle });
  const fromQuorum = await collect(transport, quorum, { settle });
  await transport.publish(outbound('', classic, 'c', { headers }));
  await transport.publish(outbound('', quorum, 'q', { headers }));
  await waitUntil(() => fromClassic.deliveries.length === 2 && fromQuorum.deliveries.length === 2, 'two deliveries each');
  return { fromClassic, fromQuorum };
}
