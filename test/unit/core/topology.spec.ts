import { describe, expect, it } from '@jest/globals';
import { TopologyError, validateTopology, type TopologyDefinition } from '../../../lib/index.js';
import { topologyForQueue } from '../../../lib/topology/index.js';

const valid: TopologyDefinition = {
  exchanges: [
    { name: 'orders', type: 'topic' },
    { name: 'orders.dlx', type: 'fanout' },
    { name: 'edge', type: 'fanout' },
  ],
  queues: [
    { name: 'billing', type: 'quorum', deadLetterExchange: 'orders.dlx' },
    { name: 'billing.dlq' },
  ],
  bindings: [
    { exchange: 'edge', toExchange: 'orders' },
    { exchange: 'orders', queue: 'billing', routingKey: 'orders.#' },
    { exchange: 'orders.dlx', queue: 'billing.dlq' },
    { exchange: 'amq.topic', queue: 'billing', routingKey: 'legacy.*' },
  ],
};

describe('validateTopology', () => {
  it('accepts a consistent topology, including built-in amq.* exchanges', () => {
    expect(() => validateTopology(valid)).not.toThrow();
  });

  it('reports every problem at once', () => {
    const broken: TopologyDefinition = {
      exchanges: [{ name: 'a', type: 'direct' }, { name: 'a', type: 'topic' }, { name: 'amq.mine', type: 'direct' }],
      queues: [
        { name: 'q', type: 'quorum', durable: false, exclusive: true },
        { name: 'r', deadLetterExchange: 'nowhere', messageTtl: -5 },
        { name: 's', deadLetterRoutingKey: 'k' },
      ],
      bindings: [
        { exchange: 'missing', queue: 'q' },
        { exchange: 'a', queue: 'ghost' },
        { exchange: 'a', queue: 'q', toExchange: 'a' },
        { exchange: '', queue: 'q' },
      ],
    };
    const error = (() => {
      try {
        validateTopology(broken);
      } catch (e) {
        return e as TopologyError;
      }
      throw new Error('expected a TopologyError');
    })();
    expect(error).toBeInstanceOf(TopologyError);
    for (const fragment of [
      'exchange "a" is declared twice',
      'exchange "amq.mine" is reserved',
      'queue "q" is quorum and so must be durable',
      'queue "q" is quorum and so cannot be exclusive',
      'queue "r" dead-letters to undeclared exchange "nowhere"',
      'queue "r" has messageTtl -5',
      'queue "s" has deadLetterRoutingKey but no deadLetterExchange',
      'binding "missing" -> "q": source exchange is not declared',
      'binding "a" -> "ghost": queue is not declared',
      'give exactly one of "queue" and "toExchange"',
      'the default exchange cannot be bound',
    ]) {
      expect(error.message).toContain(fragment);
    }
  });
});

describe('topologyForQueue', () => {
  it('keeps the queue, its bindings, their exchanges (through e2e bindings) and its DLX', () => {
    const subset = topologyForQueue(valid, 'billing');
    expect(subset.queues?.map((q) => q.name)).toEqual(['billing']);
    expect(subset.exchanges?.map((e) => e.name).sort()).toEqual(['edge', 'orders', 'orders.dlx']);
    expect(subset.bindings).toHaveLength(3);
    expect(subset.bindings).not.toContainEqual({ exchange: 'orders.dlx', queue: 'billing.dlq' });
  });
});
