import type { HeaderValue } from '../transport.interface.js';
import type { ExchangeState } from './memory.declarations.js';
import { routeMessage } from './memory-exchange.router.js';
import type { MemoryQueue } from './memory.queue.js';
import type { MemoryTopologyRegistry } from './memory-topology.registry.js';

/** Where a publish goes: the queues, in the order routing reached them, and their names. */
export interface MemoryRoute {
  readonly queues: readonly MemoryQueue[];
  /** Frozen: a publish record may keep it (records copy it when built). */
  readonly names: readonly string[];
  /** What a publish every queue of the route accepted reports: shared, frozen. */
  readonly routed: { readonly outcome: 'routed'; readonly routedQueues: readonly string[] };
}

/** Routing keys remembered per exchange; past it the exchange's routes are forgotten and learnt again. */
const MAX_KEYS_PER_EXCHANGE = 1024;

/**
 * Routes publishes, remembering the route per exchange and routing key while the topology stays the
 * same: most applications publish to a handful of destinations, and routing each message again (binding
 * list, matching, queue lookups, arrays) was a measurable part of a memory publish. Only routes that
 * depend on nothing but the routing key are remembered: from a direct, topic or fanout exchange (or the
 * default one) whose bindings all lead to queues and that has no alternate exchange. A headers exchange,
 * an exchange-to-exchange hop or an alternate exchange is routed afresh every time. Any topology change
 * (a declaration, a deleted queue) forgets everything.
 */
export class MemoryRouteCache {
  private readonly routes = new Map<string, Map<string, MemoryRoute>>();
  private version = -1;

  constructor(private readonly registry: MemoryTopologyRegistry) {}

  /** The route of a message published to `exchange`, which exists. */
  route(exchange: ExchangeState, routingKey: string, headers: Readonly<Record<string, HeaderValue>> | undefined): MemoryRoute {
    if (this.version !== this.registry.version) {
      this.routes.clear();
      this.version = this.registry.version;
    }
    const byKey = this.routes.get(exchange.name);
    const known = byKey?.get(routingKey);
    if (known) return known;
    const route = this.resolve(exchange.name, routingKey, headers);
    if (!this.keyOnly(exchange)) return route;
    if (!byKey) {
      this.routes.set(exchange.name, new Map([[routingKey, route]]));
    } else {
      if (byKey.size >= MAX_KEYS_PER_EXCHANGE) byKey.clear();
      byKey.set(routingKey, route);
    }
    return route;
  }

  /** The route of a message published to `exchange`, worked out now (dead-letters take this way). */
  resolve(exchange: string, routingKey: string, headers: Readonly<Record<string, HeaderValue>> | undefined): MemoryRoute {
    return this.routeOf(routeMessage(this.registry, exchange, { routingKey, headers }));
  }

  /** The route to these queues (names of existing queues). */
  routeOf(reached: readonly string[]): MemoryRoute {
    const queues: MemoryQueue[] = [];
    for (const name of reached) {
      const queue = this.registry.queue(name);
      if (queue) queues.push(queue);
    }
    const names = Object.freeze(queues.map((queue) => queue.name));
    return { queues, names, routed: Object.freeze({ outcome: 'routed', routedQueues: names }) };
  }

  /** Whether routing from this exchange depends on the routing key alone. */
  private keyOnly(exchange: ExchangeState): boolean {
    if (exchange.type === 'headers' || exchange.alternateExchange !== undefined) return false;
    return this.registry.bindingsFrom(exchange.name).every((binding) => binding.queue !== undefined);
  }
}
