import { describe, expect, it } from '@jest/globals';
import { TopologyError, validateTopology, type TopologyDefinition } from '../../../lib/index.js';
import { matchesTopic, topologyForQueue } from '../../../lib/topology/index.js';

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

describe('validateTopology: dead-letter exchanges must route somewhere', () => {
  const problemsOf = (topology: TopologyDefinition): string => {
    try {
      validateTopology(topology);
    } catch (error) {
      expect(error).toBeInstanceOf(TopologyError);
      return (error as TopologyError).message;
    }
    return '';
  };
  const unrouted = (queue: string, exchange: string): string => `queue "${queue}" dead-letters to exchange "${exchange}"`;

  it('rejects a DLX with no binding, naming the queue and the exchange', () => {
    const message = problemsOf({
      exchanges: [{ name: 'work.dlx', type: 'fanout' }],
      queues: [{ name: 'work', deadLetterExchange: 'work.dlx' }],
    });
    expect(message).toContain(unrouted('work', 'work.dlx'));
    expect(message).toContain('routes to no declared queue');
    expect(message).toContain('deadLetterRoutedElsewhere: true');
  });

  it('accepts the same DLX when the queue opts out: another application binds it', () => {
    expect(
      problemsOf({
        exchanges: [{ name: 'work.dlx', type: 'fanout' }],
        queues: [{ name: 'work', deadLetterExchange: 'work.dlx', deadLetterRoutedElsewhere: true }],
      }),
    ).toBe('');
  });

  it('rejects the opt-out on a queue without a dead-letter exchange', () => {
    expect(problemsOf({ queues: [{ name: 'work', deadLetterRoutedElsewhere: true }] })).toContain(
      'queue "work" has deadLetterRoutedElsewhere but no deadLetterExchange',
    );
  });

  it('follows exchange-to-exchange bindings to a declared queue, and does not loop on cycles', () => {
    const chained: TopologyDefinition = {
      exchanges: [
        { name: 'dlx', type: 'fanout' },
        { name: 'hop', type: 'topic' },
        { name: 'loop', type: 'fanout' },
      ],
      queues: [{ name: 'work', deadLetterExchange: 'dlx', deadLetterRoutingKey: 'dead.work' }, { name: 'dlq' }],
      bindings: [
        { exchange: 'dlx', toExchange: 'loop' },
        { exchange: 'loop', toExchange: 'dlx' },
        { exchange: 'dlx', toExchange: 'hop' },
        { exchange: 'hop', queue: 'dlq', routingKey: 'dead.#' },
      ],
    };
    expect(problemsOf(chained)).toBe('');
    const cut = { ...chained, bindings: chained.bindings?.filter((b) => b.queue === undefined) };
    expect(problemsOf(cut)).toContain(unrouted('work', 'dlx'));
  });

  it.each<[string, 'direct' | 'topic', string, string | undefined, boolean]>([
    ['direct, key bound', 'direct', 'dead', 'dead', true],
    ['direct, other key bound', 'direct', 'other', 'dead', false],
    ['topic, pattern matches', 'topic', 'dead.*', 'dead.work', true],
    ['topic, # matches several words', 'topic', '#.work', 'x.y.work', true],
    ['topic, pattern does not match', 'topic', 'dead.*', 'dead.work.now', false],
    ['direct, no fixed key: any binding may match', 'direct', 'whatever', undefined, true],
  ])('%s', (_what, type, bindingKey, deadLetterRoutingKey, routes) => {
    const message = problemsOf({
      exchanges: [{ name: 'dlx', type }],
      queues: [{ name: 'work', deadLetterExchange: 'dlx', deadLetterRoutingKey }, { name: 'dlq' }],
      bindings: [{ exchange: 'dlx', queue: 'dlq', routingKey: bindingKey }],
    });
    if (routes) expect(message).toBe('');
    else expect(message).toContain(`${unrouted('work', 'dlx')} with routing key "${deadLetterRoutingKey}"`);
  });

  it('accepts any binding of a fanout or headers DLX, whatever the dead-letter routing key', () => {
    for (const type of ['fanout', 'headers'] as const) {
      expect(
        problemsOf({
          exchanges: [{ name: 'dlx', type }],
          queues: [{ name: 'work', deadLetterExchange: 'dlx', deadLetterRoutingKey: 'k' }, { name: 'dlq' }],
          bindings: [{ exchange: 'dlx', queue: 'dlq', routingKey: 'unrelated', arguments: { 'x-match': 'any', a: 1 } }],
        }),
      ).toBe('');
    }
  });

  it('follows an alternate exchange for keys no binding matches', () => {
    expect(
      problemsOf({
        exchanges: [
          { name: 'dlx', type: 'direct', alternateExchange: 'dlx.ae' },
          { name: 'dlx.ae', type: 'fanout' },
        ],
        queues: [{ name: 'work', deadLetterExchange: 'dlx', deadLetterRoutingKey: 'dead' }, { name: 'dlq' }],
        bindings: [{ exchange: 'dlx.ae', queue: 'dlq' }],
      }),
    ).toBe('');
  });

  it('handles built-in exchanges: amq.* by their type, the default exchange by queue name', () => {
    const queues = (deadLetterExchange: string, deadLetterRoutingKey: string): TopologyDefinition['queues'] => [
      { name: 'work', deadLetterExchange, deadLetterRoutingKey },
      { name: 'dlq' },
    ];
    expect(problemsOf({ queues: queues('', 'dlq') })).toBe('');
    expect(problemsOf({ queues: queues('', 'ghost') })).toContain(unrouted('work', ''));
    const amqDirect = { queues: queues('amq.direct', 'dead'), bindings: [{ exchange: 'amq.direct', queue: 'dlq', routingKey: 'dead' }] };
    expect(problemsOf(amqDirect)).toBe('');
    expect(problemsOf({ queues: queues('amq.direct', 'dead') })).toContain(unrouted('work', 'amq.direct'));
  });

  it('accepts the sample topology and the shared test topologies', async () => {
    const { ordersTopology } = await import('../../../sample/orders/orders.topology.js');
    const { ORDERS_TOPOLOGY } = await import('../../fixtures/amqp-transport.fixture.js');
    const { ordersTopology: memoryOrders } = await import('../../fixtures/orders.fixture.js');
    const readmeQuickStart: TopologyDefinition = {
      exchanges: [{ name: 'orders', type: 'topic' }, { name: 'orders.dlx', type: 'fanout' }],
      queues: [{ name: 'billing', type: 'quorum', deadLetterExchange: 'orders.dlx' }, { name: 'billing.dlq' }],
      bindings: [
        { exchange: 'orders', queue: 'billing', routingKey: 'orders.*' },
        { exchange: 'orders.dlx', queue: 'billing.dlq' },
      ],
    };
    for (const topology of [ordersTopology, ORDERS_TOPOLOGY, memoryOrders, readmeQuickStart, valid]) {
      expect(problemsOf(topology)).toBe('');
    }
  });
});

describe('matchesTopic', () => {
  it.each<[string, string, boolean]>([
    ['a.b', 'a.b', true],
    ['a.*', 'a.b', true],
    ['a.*', 'a', false],
    ['a.#', 'a', true],
    ['#', '', true],
    ['*', '', false],
    ['#.b.#', 'x.b.y', true],
    ['a.#.c', 'a.c', true],
    ['a.#.c', 'a.b.d', false],
  ])('%s against %s is %s', (pattern, key, expected) => {
    expect(matchesTopic(pattern, key)).toBe(expected);
  });
});
