import type { BindingDefinition } from '../../topology/index.js';
import type { HeaderValue } from '../transport.interface.js';
import { matchesHeaders } from './headers-binding.matcher.js';
import type { ExchangeState } from './memory.declarations.js';
import { matchesTopic } from '../../topology/topic-pattern.matcher.js';

/** What the router needs to know about the broker's current topology. */
export interface RoutingTable {
  exchange(name: string): ExchangeState | undefined;
  bindingsFrom(exchange: string): readonly BindingDefinition[];
  hasQueue(name: string): boolean;
}

/** The message fields routing looks at. */
export interface RoutingInput {
  readonly routingKey: string;
  readonly headers: Readonly<Record<string, HeaderValue>> | undefined;
}

/** Whether one binding of an exchange of the given type accepts the message. */
export function bindingMatches(exchange: ExchangeState, binding: BindingDefinition, input: RoutingInput): boolean {
  switch (exchange.type) {
    case 'direct':
      return (binding.routingKey ?? '') === input.routingKey;
    case 'topic':
      return matchesTopic(binding.routingKey ?? '', input.routingKey);
    case 'fanout':
      return true;
    case 'headers':
      return matchesHeaders(binding.arguments, input.headers);
  }
}

/**
 * Names of the queues a message published to `exchangeName` ends up in, each at most once, in the order
 * they were reached. Follows RabbitMQ: the default exchange `''` delivers to the queue named by the
 * routing key; exchange-to-exchange bindings are followed with the same routing key and headers, each
 * exchange visited at most once (so binding cycles terminate); an exchange whose own bindings match
 * nothing hands the message to its alternate exchange, if it has one that exists.
 */
export function routeMessage(table: RoutingTable, exchangeName: string, input: RoutingInput): string[] {
  return routeDirectly(table, exchangeName, input) ?? routeThroughExchanges(table, exchangeName, input);
}

/**
 * The common case without sets or a work list: the exchange's matching bindings all lead to queues
 * (no exchange-to-exchange hop) and the alternate exchange is not needed. `undefined` otherwise.
 */
function routeDirectly(table: RoutingTable, exchangeName: string, input: RoutingInput): string[] | undefined {
  const exchange = table.exchange(exchangeName);
  if (!exchange) return [];
  if (exchangeName === '') return table.hasQueue(input.routingKey) ? [input.routingKey] : [];
  const queues: string[] = [];
  let matched = false;
  for (const binding of table.bindingsFrom(exchangeName)) {
    if (!bindingMatches(exchange, binding, input)) continue;
    if (binding.queue === undefined) return undefined;
    matched = true;
    if (table.hasQueue(binding.queue) && !queues.includes(binding.queue)) queues.push(binding.queue);
  }
  return matched || exchange.alternateExchange === undefined ? queues : undefined;
}

function routeThroughExchanges(table: RoutingTable, exchangeName: string, input: RoutingInput): string[] {
  const queues = new Set<string>();
  const visited = new Set<string>([exchangeName]);
  const pending = [exchangeName];
  for (let name = pending.shift(); name !== undefined; name = pending.shift()) {
    const exchange = table.exchange(name);
    if (!exchange) continue;
    if (name === '') {
      if (table.hasQueue(input.routingKey)) queues.add(input.routingKey);
      continue;
    }
    const matched = table.bindingsFrom(name).filter((binding) => bindingMatches(exchange, binding, input));
    if (matched.length === 0 && exchange.alternateExchange !== undefined && !visited.has(exchange.alternateExchange)) {
      visited.add(exchange.alternateExchange);
      pending.push(exchange.alternateExchange);
    }
    for (const binding of matched) {
      if (binding.queue !== undefined) {
        if (table.hasQueue(binding.queue)) queues.add(binding.queue);
      } else if (binding.toExchange !== undefined && !visited.has(binding.toExchange)) {
        visited.add(binding.toExchange);
        pending.push(binding.toExchange);
      }
    }
  }
  return [...queues];
}
