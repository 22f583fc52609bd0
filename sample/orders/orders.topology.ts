import type { TopologyDefinition } from '../../lib/index.js';

/** Queue names, shared by the topology and the consumers. */
export const QUEUES = {
  billing: 'sample.billing.orders',
  shipping: 'sample.shipping.payments',
  deadLetters: 'sample.orders.dlq',
  pricing: 'sample.pricing.quotes',
} as const;

/**
 * A topic exchange for the flow, a fanout dead-letter exchange and its queue. Both work queues
 * dead-letter there, so every failure ends up in one place with its reason recorded.
 */
export const ordersTopology: TopologyDefinition = {
  exchanges: [
    { name: 'orders', type: 'topic' },
    { name: 'orders.dlx', type: 'fanout' },
  ],
  queues: [
    { name: QUEUES.billing, deadLetterExchange: 'orders.dlx' },
    { name: QUEUES.shipping, deadLetterExchange: 'orders.dlx' },
    { name: QUEUES.deadLetters },
    // Requests go straight to this queue; replies use direct reply-to, so there is no reply queue.
    { name: QUEUES.pricing, deadLetterExchange: 'orders.dlx' },
  ],
  bindings: [
    // Both order contracts reach billing over one binding; its consumer routes them by message type.
    { exchange: 'orders', queue: QUEUES.billing, routingKey: 'orders.*' },
    { exchange: 'orders', queue: QUEUES.shipping, routingKey: 'payments.captured' },
    { exchange: 'orders.dlx', queue: QUEUES.deadLetters },
  ],
};
