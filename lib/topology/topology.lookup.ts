import type { QueueDefinition, TopologyDefinition } from './topology.types.js';

/** Finds a declared queue by name. */
export function findQueue(topology: TopologyDefinition, name: string): QueueDefinition | undefined {
  return topology.queues?.find((q) => q.name === name);
}

/**
 * The part of a topology one queue depends on: the queue, its bindings, every exchange those bindings
 * reach (following exchange-to-exchange bindings back to their sources) and its dead-letter exchange.
 * A consumer channel re-asserts this before consuming so that, after a broker restart, it never races
 * the full topology assertion and consumes from a queue that does not exist yet.
 */
export function topologyForQueue(topology: TopologyDefinition, queueName: string): TopologyDefinition {
  const queue = findQueue(topology, queueName);
  const bindings = (topology.bindings ?? []).filter((b) => b.queue === queueName);
  const exchangeNames = new Set<string>(bindings.map((b) => b.exchange));
  if (queue?.deadLetterExchange) exchangeNames.add(queue.deadLetterExchange);
  const exchangeBindings = new Set<(typeof bindings)[number]>();
  let grew = true;
  while (grew) {
    grew = false;
    for (const binding of topology.bindings ?? []) {
      if (binding.toExchange && exchangeNames.has(binding.toExchange) && !exchangeBindings.has(binding)) {
        exchangeBindings.add(binding);
        exchangeNames.add(binding.exchange);
        grew = true;
      }
    }
  }
  return {
    exchanges: (topology.exchanges ?? []).filter((e) => exchangeNames.has(e.name)),
    queues: queue ? [queue] : [],
    bindings: [...exchangeBindings, ...bindings],
  };
}
