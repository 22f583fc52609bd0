import { z } from 'zod';
import { defineContract, type TopologyDefinition } from '../../lib/index.js';

/** A contract shared by the module-level tests. */
export const OrderPlaced = defineContract({
  name: 'test.orders.placed',
  exchange: 'test.orders',
  schema: z.object({ orderId: z.string().min(1), totalCents: z.number().int().positive() }),
});

/** Queue names of {@link ordersTopology}. */
export const Q = { work: 'test.orders.work', dlq: 'test.orders.dlq' } as const;

/** One work queue dead-lettering to a fanout DLX and its queue. */
export const ordersTopology: TopologyDefinition = {
  exchanges: [
    { name: 'test.orders', type: 'topic' },
    { name: 'test.orders.dlx', type: 'fanout' },
  ],
  queues: [{ name: Q.work, deadLetterExchange: 'test.orders.dlx' }, { name: Q.dlq }],
  bindings: [
    { exchange: 'test.orders', queue: Q.work, routingKey: 'test.orders.#' },
    { exchange: 'test.orders.dlx', queue: Q.dlq },
  ],
};

/** Polls `condition` every few ms until it holds or `timeoutMs` passes. */
export async function eventually(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
