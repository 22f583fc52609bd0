import { TopologyError } from '../../errors/index.js';
import { isBuiltInExchange, type BindingDefinition, type ExchangeType, type TopologyDefinition } from '../../topology/index.js';
import { headersMatchMode } from './headers-binding.matcher.js';
import { exchangeMismatch, exchangeState, queueMismatch, queueSettings, type ExchangeState, type QueueSettings } from './memory.declarations.js';
import type { RoutingTable } from './memory-exchange.router.js';
import type { MemoryQueue } from './memory.queue.js';

const EXCHANGE_TYPES: readonly ExchangeType[] = ['direct', 'topic', 'fanout', 'headers'];

/** The exchanges every RabbitMQ virtual host has without declaring them. */
const BUILT_IN_EXCHANGES: readonly ExchangeState[] = (
  [
    ['', 'direct'],
    ['amq.direct', 'direct'],
    ['amq.topic', 'topic'],
    ['amq.fanout', 'fanout'],
    ['amq.headers', 'headers'],
    ['amq.match', 'headers'],
  ] as const
).map(([name, type]) => ({ name, type, durable: true, autoDelete: false, internal: false, alternateExchange: undefined }));

function bindingKey(binding: BindingDefinition): string {
  const args = Object.entries(binding.arguments ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([binding.exchange, binding.queue ?? null, binding.toExchange ?? null, binding.routingKey ?? '', args]);
}

/**
 * The broker's declared exchanges, queues and bindings. Declaring is idempotent and all-or-nothing: a
 * topology with any problem changes nothing and is refused with a {@link TopologyError} naming every
 * problem, each prefixed with the AMQP reply RabbitMQ would give (`PRECONDITION_FAILED` for a
 * redeclaration with different properties, `NOT_FOUND`, `ACCESS_REFUSED`).
 */
export class MemoryTopologyRegistry implements RoutingTable {
  private readonly exchanges = new Map<string, ExchangeState>(BUILT_IN_EXCHANGES.map((e) => [e.name, e]));
  private readonly queues = new Map<string, MemoryQueue>();
  private readonly bindings = new Map<string, BindingDefinition[]>();
  private readonly bindingKeys = new Set<string>();
  /** Deleted queues whose unacked deliveries have not all been settled yet. */
  private readonly retired = new Set<MemoryQueue>();
  private changes = 0;

  constructor(private readonly createQueue: (settings: QueueSettings) => MemoryQueue) {}

  /** Changes whenever the topology may have: what a remembered route is checked against. */
  get version(): number {
    return this.changes;
  }

  /** An exchange by name, built-ins included. */
  exchange(name: string): ExchangeState | undefined {
    return this.exchanges.get(name);
  }

  /** Bindings whose source is the given exchange. */
  bindingsFrom(exchange: string): readonly BindingDefinition[] {
    return this.bindings.get(exchange) ?? [];
  }

  /** Whether a queue of that name exists. */
  hasQueue(name: string): boolean {
    return this.queues.has(name);
  }

  /** A queue by name. */
  queue(name: string): MemoryQueue | undefined {
    return this.queues.get(name);
  }

  /** Every existing queue. */
  allQueues(): MemoryQueue[] {
    return [...this.queues.values()];
  }

  /** Existing queues plus deleted ones that still have unsettled deliveries to invalidate. */
  queuesWithDeliveries(): MemoryQueue[] {
    for (const queue of this.retired) if (queue.unackedCount === 0) this.retired.delete(queue);
    return [...this.queues.values(), ...this.retired];
  }

  /** Asserts a topology; see the class documentation. */
  declare(topology: TopologyDefinition): void {
    const problems: string[] = [];
    const exchanges = new Map<string, ExchangeState>();
    for (const definition of topology.exchanges ?? []) {
      if (isBuiltInExchange(definition.name)) {
        problems.push(`ACCESS_REFUSED: exchange name "${definition.name}" is reserved by the broker`);
      } else if (!EXCHANGE_TYPES.includes(definition.type)) {
        problems.push(`COMMAND_INVALID: exchange "${definition.name}" has unknown type "${String(definition.type)}"`);
      } else {
        const state = exchangeState(definition);
        const existing = exchanges.get(definition.name) ?? this.exchanges.get(definition.name);
        const mismatch = existing && exchangeMismatch(existing, state);
        if (mismatch) problems.push(`PRECONDITION_FAILED: exchange "${definition.name}" exists with different properties: ${mismatch}`);
        else if (!existing) exchanges.set(definition.name, state);
      }
    }

    const queues = new Map<string, QueueSettings>();
    for (const definition of topology.queues ?? []) {
      const settings = queueSettings(definition);
      if (!definition.name) {
        problems.push('queue without a name: server-named queues are not supported');
      } else if (definition.name.startsWith('amq.')) {
        problems.push(`ACCESS_REFUSED: queue name "${definition.name}" uses the reserved prefix "amq."`);
      } else if (Array.isArray(settings)) {
        problems.push(...settings.map((p) => `PRECONDITION_FAILED: ${p}`));
      } else {
        const existing = queues.get(definition.name) ?? this.queues.get(definition.name)?.settings;
        const mismatch = existing && queueMismatch(existing, settings);
        if (mismatch) problems.push(`PRECONDITION_FAILED: queue "${definition.name}" exists with different properties: ${mismatch}`);
        else if (!existing) queues.set(definition.name, settings);
      }
    }

    const exchangeKnown = (name: string): ExchangeState | undefined => exchanges.get(name) ?? this.exchanges.get(name);
    const bindings: BindingDefinition[] = [];
    for (const binding of topology.bindings ?? []) {
      const label = `binding "${binding.exchange}" -> "${binding.queue ?? binding.toExchange ?? '?'}"`;
      const source = exchangeKnown(binding.exchange);
      const before = problems.length;
      if (binding.exchange === '') problems.push(`ACCESS_REFUSED: ${label}: the default exchange cannot be bound`);
      else if (!source) problems.push(`NOT_FOUND: ${label}: no exchange "${binding.exchange}"`);
      if ((binding.queue === undefined) === (binding.toExchange === undefined)) {
        problems.push(`${label}: give exactly one of "queue" and "toExchange"`);
      } else if (binding.queue !== undefined && !queues.has(binding.queue) && !this.queues.has(binding.queue)) {
        problems.push(`NOT_FOUND: ${label}: no queue "${binding.queue}"`);
      } else if (binding.toExchange === '') {
        problems.push(`ACCESS_REFUSED: ${label}: the default exchange cannot be bound`);
      } else if (binding.toExchange !== undefined && !exchangeKnown(binding.toExchange)) {
        problems.push(`NOT_FOUND: ${label}: no exchange "${binding.toExchange}"`);
      }
      if (source?.type === 'headers' && !headersMatchMode(binding.arguments)) {
        problems.push(`PRECONDITION_FAILED: ${label}: invalid x-match "${String(binding.arguments?.['x-match'])}"`);
      }
      if (problems.length === before) bindings.push(binding);
    }

    if (problems.length > 0) throw new TopologyError(`The in-memory broker refused the topology: ${problems.join('; ')}`);
    this.changes++;
    for (const [name, state] of exchanges) this.exchanges.set(name, state);
    for (const [name, settings] of queues) this.queues.set(name, this.createQueue(settings));
    for (const binding of bindings) this.addBinding(binding);
  }

  /**
   * Deletes a queue and its bindings. As on RabbitMQ, an `autoDelete` exchange left without bindings
   * goes too, and so on up exchange-to-exchange bindings.
   */
  deleteQueue(name: string): void {
    const queue = this.queues.get(name);
    if (!queue) return;
    this.changes++;
    this.queues.delete(name);
    queue.delete();
    if (queue.unackedCount > 0) this.retired.add(queue);
    this.removeBindings((binding) => binding.queue === name);
  }

  private addBinding(binding: BindingDefinition): void {
    const key = bindingKey(binding);
    if (this.bindingKeys.has(key)) return;
    this.bindingKeys.add(key);
    const list = this.bindings.get(binding.exchange) ?? [];
    list.push(binding);
    this.bindings.set(binding.exchange, list);
  }

  private removeBindings(predicate: (binding: BindingDefinition) => boolean): void {
    const emptied: string[] = [];
    for (const [source, list] of this.bindings) {
      const kept = list.filter((binding) => !predicate(binding));
      if (kept.length === list.length) continue;
      for (const binding of list) if (predicate(binding)) this.bindingKeys.delete(bindingKey(binding));
      this.bindings.set(source, kept);
      if (kept.length === 0) emptied.push(source);
    }
    for (const source of emptied) {
      if (!this.exchanges.get(source)?.autoDelete) continue;
      this.exchanges.delete(source);
      this.bindings.delete(source);
      this.removeBindings((binding) => binding.toExchange === source);
    }
  }
}
