import { z } from 'zod';
import { defineContract } from '../../lib/index.js';

/** A customer placed an order. */
export const OrderPlaced = defineContract({
  name: 'orders.placed',
  exchange: 'orders',
  schema: z.object({
    orderId: z.string().min(1),
    customer: z.string().min(1),
    totalCents: z.number().int().positive(),
  }),
});

/** A customer cancelled an order. Same exchange and queue as `OrderPlaced`: billing routes by type. */
export const OrderCancelled = defineContract({
  name: 'orders.cancelled',
  exchange: 'orders',
  schema: z.object({ orderId: z.string().min(1), reason: z.string().min(1) }),
});

/** Billing captured the payment of an order. */
export const PaymentCaptured = defineContract({
  name: 'payments.captured',
  exchange: 'orders',
  schema: z.object({
    orderId: z.string().min(1),
    amountCents: z.number().int().positive(),
    capturedAt: z.iso.datetime(),
  }),
});

/** Whatever lands in the dead-letter queue: the audit consumer must accept even malformed payloads. */
export const DeadLetter = defineContract({
  name: 'orders.dead-letter',
  exchange: 'orders.dlx',
  schema: z.unknown(),
});
