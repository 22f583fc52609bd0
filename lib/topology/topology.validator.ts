import { TopologyError } from '../errors/index.js';
import { DeadLetterRouteChecker } from './dead-letter-route.checker.js';
import type { BindingDefinition, QueueDefinition, TopologyDefinition } from './topology.types.js';

/** Exchanges every RabbitMQ vhost has without declaring them. */
export function isBuiltInExchange(name: string): boolean {
  return name === '' || name.startsWith('amq.');
}

/**
 * Checks a topology for mistakes that would otherwise surface as a channel error at the broker
 * (or, worse, as silently unroutable messages): duplicates, dangling names, impossible queue options,
 * and dead-letter exchanges from which no declared binding reaches a declared queue (unless the queue
 * sets `deadLetterRoutedElsewhere`). Throws a {@link TopologyError} listing every problem found, not
 * just the first.
 */
export function validateTopology(topology: TopologyDefinition): void {
  const problems: string[] = [];
  const exchanges = new Set<string>();
  const queues = new Set<string>();

  for (const exchange of topology.exchanges ?? []) {
    if (!exchange.name) problems.push('an exchange has an empty name');
    else if (isBuiltInExchange(exchange.name)) problems.push(`exchange "${exchange.name}" is reserved by the broker`);
    if (exchanges.has(exchange.name)) problems.push(`exchange "${exchange.name}" is declared twice`);
    exchanges.add(exchange.name);
  }
  const knownExchange = (name: string): boolean => exchanges.has(name) || isBuiltInExchange(name);
  for (const exchange of topology.exchanges ?? []) {
    if (exchange.alternateExchange && !knownExchange(exchange.alternateExchange)) {
      problems.push(`exchange "${exchange.name}" names undeclared alternate exchange "${exchange.alternateExchange}"`);
    }
  }

  for (const queue of topology.queues ?? []) {
    if (!queue.name) problems.push('a queue has an empty name (server-named queues are not supported in topology)');
    if (queues.has(queue.name)) problems.push(`queue "${queue.name}" is declared twice`);
    queues.add(queue.name);
    problems.push(...queueProblems(queue, knownExchange));
  }

  for (const binding of topology.bindings ?? []) {
    problems.push(...bindingProblems(binding, knownExchange, (name) => queues.has(name)));
  }

  problems.push(...deadLetterRouteProblems(topology, knownExchange));

  if (problems.length > 0) {
    throw new TopologyError(`Invalid topology: ${problems.join('; ')}`);
  }
}

function queueProblems(queue: QueueDefinition, knownExchange: (name: string) => boolean): string[] {
  const problems: string[] = [];
  const label = `queue "${queue.name}"`;
  if (queue.type === 'quorum') {
    if (queue.durable === false) problems.push(`${label} is quorum and so must be durable`);
    if (queue.exclusive) problems.push(`${label} is quorum and so cannot be exclusive`);
    if (queue.autoDelete) problems.push(`${label} is quorum and so cannot be auto-delete`);
  }
  for (const [key, value] of [
    ['messageTtl', queue.messageTtl],
    ['maxLength', queue.maxLength],
    ['maxLengthBytes', queue.maxLengthBytes],
  ] as const) {
    if (value !== undefined && (!Number.isInteger(value) || value < 0)) {
      problems.push(`${label} has ${key} ${value}; it must be a non-negative integer`);
    }
  }
  if (queue.deadLetterExchange !== undefined && !knownExchange(queue.deadLetterExchange)) {
    problems.push(`${label} dead-letters to undeclared exchange "${queue.deadLetterExchange}"`);
  }
  if (queue.deadLetterRoutingKey !== undefined && queue.deadLetterExchange === undefined) {
    problems.push(`${label} has deadLetterRoutingKey but no deadLetterExchange`);
  }
  if (queue.deadLetterRoutedElsewhere !== undefined && queue.deadLetterExchange === undefined) {
    problems.push(`${label} has deadLetterRoutedElsewhere but no deadLetterExchange`);
  }
  return problems;
}

/**
 * A dead-letter exchange that reaches no queue makes every failure unroutable: the SDK's dead-letter copy
 * is returned (so the message is requeued again and again) and the broker's own dead-lettering (TTL,
 * overflow, nack) drops it. Caught at start unless the queue says another application binds it.
 */
function deadLetterRouteProblems(topology: TopologyDefinition, knownExchange: (name: string) => boolean): string[] {
  const problems: string[] = [];
  let checker: DeadLetterRouteChecker | undefined;
  for (const queue of topology.queues ?? []) {
    const exchange = queue.deadLetterExchange;
    if (exchange === undefined || queue.deadLetterRoutedElsewhere || !knownExchange(exchange)) continue;
    checker ??= new DeadLetterRouteChecker(topology);
    if (checker.routes(exchange, queue.deadLetterRoutingKey)) continue;
    const key = queue.deadLetterRoutingKey === undefined ? '' : ` with routing key "${queue.deadLetterRoutingKey}"`;
    problems.push(
      `queue "${queue.name}" dead-letters to exchange "${exchange}"${key}, which routes to no declared queue: ` +
        'bind a queue to it, or set deadLetterRoutedElsewhere: true if another application binds it',
    );
  }
  return problems;
}

function bindingProblems(
  binding: BindingDefinition,
  knownExchange: (name: string) => boolean,
  knownQueue: (name: string) => boolean,
): string[] {
  const problems: string[] = [];
  const target = binding.queue ?? binding.toExchange ?? '?';
  const label = `binding "${binding.exchange}" -> "${target}"`;
  if (binding.exchange === '') problems.push(`${label}: the default exchange cannot be bound`);
  else if (!knownExchange(binding.exchange)) problems.push(`${label}: source exchange is not declared`);
  if ((binding.queue === undefined) === (binding.toExchange === undefined)) {
    problems.push(`${label}: give exactly one of "queue" and "toExchange"`);
  } else if (binding.queue !== undefined && !knownQueue(binding.queue)) {
    problems.push(`${label}: queue is not declared`);
  } else if (binding.toExchange !== undefined && !knownExchange(binding.toExchange)) {
    problems.push(`${label}: destination exchange is not declared`);
  }
  return problems;
}
