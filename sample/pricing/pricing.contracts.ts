import { z } from 'zod';
import { defineRpcContract } from '../../lib/index.js';
import { QUEUES } from '../orders/orders.topology.js';

/** Request/reply: OrdersService asks pricing for a quote before placing an order. */
export const QuotePrice = defineRpcContract({
  name: 'pricing.quote',
  queue: QUEUES.pricing,
  timeoutMs: 5_000,
  request: z.object({ sku: z.string().min(1), quantity: z.number().int().positive() }),
  response: z.object({ sku: z.string(), unitCents: z.number().int().positive(), totalCents: z.number().int().positive() }),
});
