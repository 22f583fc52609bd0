import { afterEach } from '@jest/globals';
import { MemoryTransport, type MemoryTransportOptions } from '../../../lib/transports/memory/index.js';
import type { TopologyDefinition } from '../../../lib/topology/index.js';
import type {
  MessageProperties,
  OutboundMessage,
  TransportDelivery,
  TransportSubscription,
} from '../../../lib/transports/transport.interface.js';

/** Transports created by {@link startTransport}, closed after each test so no timer outlives it. */
const open: MemoryTransport[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

/** A started transport, closed automatically after the test. */
export async function startTransport(topology: TopologyDefinition = {}, options?: MemoryTransportOptions): Promise<MemoryTransport> {
  const transport = new MemoryTransport(options);
  open.push(transport);
  await transport.start(topology);
  return transport;
}

/** An outbound JSON message. */
export function message(
  exchange: string,
  routingKey: string,
  payload: unknown = {},
  properties: MessageProperties = {},
  mandatory = false,
): OutboundMessage {
  return {
    exchange,
    routingKey,
    body: Buffer.from(JSON.stringify(payload)),
    properties: { contentType: 'application/json', ...properties },
    mandatory,
  };
}

/** A subscription that keeps every delivery for the test to settle (or settles them itself). */
export interface Collector {
  readonly deliveries: TransportDelivery[];
  readonly payloads: () => unknown[];
  readonly subscription: TransportSubscription;
}

/**
 * Subscribes and collects deliveries. `settle` decides what the handler does with each one; by default
 * nothing, so the test settles them.
 */
export async function collect(
  transport: MemoryTransport,
  queue: string,
  options: { prefetch?: number; name?: string; settle?: (d: TransportDelivery) => void } = {},
): Promise<Collector> {
  const deliveries: TransportDelivery[] = [];
  const subscription = await transport.consume(
    { queue, prefetch: options.prefetch ?? 10_000, consumerName: options.name ?? `test-${queue}` },
    (delivery) => {
      deliveries.push(delivery);
      options.settle?.(delivery);
    },
  );
  return {
    deliveries,
    payloads: () => deliveries.map((d) => JSON.parse(d.message.body.toString('utf8')) as unknown),
    subscription,
  };
}

/** Queues that received a message published to `exchange`, per the publish record. */
export async function routedBy(transport: MemoryTransport, outbound: OutboundMessage): Promise<readonly string[]> {
  await transport.publish(outbound);
  const records = transport.records.published;
  return records[records.length - 1].routedQueues;
}

/** Lets one round of macrotasks run (deliveries and confirms happen there). */
export function nextMacrotask(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The error a promise rejects with; fails the test when it resolves instead. */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`rejected with a non-Error: ${String(error)}`);
  }
  throw new Error('expected the promise to reject, but it resolved');
}
