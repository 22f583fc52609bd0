import { matchesTopic } from './topic-pattern.matcher.js';
import type { BindingDefinition, ExchangeType, TopologyDefinition } from './topology.types.js';

/** Types of the exchanges every RabbitMQ vhost has; `''` is the default exchange, routing by queue name. */
const BUILT_IN_EXCHANGE_TYPES: Readonly<Record<string, ExchangeType | 'default'>> = {
  '': 'default',
  'amq.direct': 'direct',
  'amq.topic': 'topic',
  'amq.fanout': 'fanout',
  'amq.headers': 'headers',
  'amq.match': 'headers',
};

/**
 * Answers "can a message published to this exchange reach a declared queue?" over a declared topology,
 * following exchange-to-exchange bindings and alternate exchanges. A routing key of `undefined` means
 * "not known in advance" (a queue that dead-letters with each message's own key): then any binding
 * counts, since some key will match it.
 */
export class DeadLetterRouteChecker {
  private readonly types = new Map<string, ExchangeType | 'default'>(Object.entries(BUILT_IN_EXCHANGE_TYPES));
  private readonly alternates = new Map<string, string>();
  private readonly bindingsBySource = new Map<string, BindingDefinition[]>();
  private readonly queues: ReadonlySet<string>;

  constructor(topology: TopologyDefinition) {
    for (const exchange of topology.exchanges ?? []) {
      this.types.set(exchange.name, exchange.type);
      if (exchange.alternateExchange) this.alternates.set(exchange.name, exchange.alternateExchange);
    }
    this.queues = new Set((topology.queues ?? []).map((queue) => queue.name));
    for (const binding of topology.bindings ?? []) {
      const list = this.bindingsBySource.get(binding.exchange) ?? [];
      list.push(binding);
      this.bindingsBySource.set(binding.exchange, list);
    }
  }

  /** True when some declared binding path takes a message with `routingKey` from `exchange` to a declared queue. */
  routes(exchange: string, routingKey: string | undefined): boolean {
    // The routing key never changes along exchange-to-exchange bindings, so one visit per exchange suffices.
    return this.routesFrom(exchange, routingKey, new Set<string>());
  }

  /**
   * True when where a message goes from `exchange` depends on its routing key: the exchange, or one it
   * forwards to (bindings, alternate exchange), is direct, topic or the default exchange.
   */
  routesByKey(exchange: string, visited = new Set<string>()): boolean {
    if (visited.has(exchange)) return false;
    visited.add(exchange);
    const type = this.types.get(exchange);
    if (type === 'direct' || type === 'topic' || type === 'default') return true;
    const next = (this.bindingsBySource.get(exchange) ?? []).flatMap((binding) => (binding.toExchange === undefined ? [] : [binding.toExchange]));
    const alternate = this.alternates.get(exchange);
    if (alternate !== undefined) next.push(alternate);
    return next.some((name) => this.routesByKey(name, visited));
  }

  private routesFrom(exchange: string, routingKey: string | undefined, visited: Set<string>): boolean {
    if (visited.has(exchange)) return false;
    visited.add(exchange);
    const type = this.types.get(exchange);
    if (type === undefined) return false;
    if (type === 'default') return routingKey === undefined || this.queues.has(routingKey);
    const matching = (this.bindingsBySource.get(exchange) ?? []).filter((binding) =>
      this.matches(type, binding.routingKey ?? '', routingKey),
    );
    for (const binding of matching) {
      if (binding.queue !== undefined && this.queues.has(binding.queue)) return true;
      if (binding.toExchange !== undefined && this.routesFrom(binding.toExchange, routingKey, visited)) return true;
    }
    // The broker consults an alternate exchange only for messages no binding matched.
    const alternate = this.alternates.get(exchange);
    const alternateUsed = matching.length === 0 || routingKey === undefined;
    return alternate !== undefined && alternateUsed && this.routesFrom(alternate, routingKey, visited);
  }

  private matches(type: ExchangeType, bindingKey: string, routingKey: string | undefined): boolean {
    if (routingKey === undefined) return true;
    switch (type) {
      case 'direct':
        return bindingKey === routingKey;
      case 'topic':
        return matchesTopic(bindingKey, routingKey);
      case 'fanout':
      case 'headers':
        // Fanout ignores the key; header values are the message's, unknown here, so any binding may match.
        return true;
    }
  }
}
