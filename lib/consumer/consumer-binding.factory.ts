import { ConsumerDefinitionError } from '../errors/index.js';
import { resolveRetryPolicy } from '../retry/retry-policy.resolver.js';
import type { RetryPolicy } from '../retry/retry-policy.types.js';
import { findQueue, type TopologyDefinition } from '../topology/index.js';
import type { HandlerBinding, HandlerInvoker, QueueBinding } from './consumer-binding.types.js';
import { resolveQueueLimits } from './consumer-limits.js';
import type { DiscoveredConsumer } from './consumer.explorer.js';

/** Module-level defaults a binding falls back on. */
export interface BindingDefaults {
  readonly prefetch: number;
  readonly ack: 'auto' | 'manual';
  readonly retry: RetryPolicy | false | undefined;
  readonly maxDeliveries: number | false;
}

function maxDeliveriesOf(name: string, value: number | false): number | undefined {
  if (value === false) return undefined;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new ConsumerDefinitionError(`@Consumer ${name}: maxDeliveries must be a positive integer or false, got ${value}`);
  }
  return value;
}

/** Builds the invoker of one discovered handler. */
export type InvokerFactory = (consumer: DiscoveredConsumer) => HandlerInvoker;

/**
 * Turns discovered consumers into one validated binding per queue, so every mistake fails at start with
 * a message naming the handler: an undeclared queue, a request-scoped provider, two handlers of one
 * contract on one queue, or queue-level settings that disagree.
 */
export function createQueueBindings(
  discovered: readonly DiscoveredConsumer[],
  topology: TopologyDefinition,
  defaults: BindingDefaults,
  invokerFor: InvokerFactory,
): QueueBinding[] {
  const byQueue = new Map<string, DiscoveredConsumer[]>();
  for (const consumer of discovered) {
    const { queue } = consumer.metadata.options;
    if (!consumer.isStatic) {
      throw new ConsumerDefinitionError(`@Consumer ${consumer.name}: consumers must live in singleton providers, not request- or transient-scoped ones`);
    }
    if (!findQueue(topology, queue)) {
      throw new ConsumerDefinitionError(`@Consumer ${consumer.name}: queue "${queue}" is not declared in the topology`);
    }
    const group = byQueue.get(queue) ?? [];
    group.push(consumer);
    byQueue.set(queue, group);
  }
  return [...byQueue].map(([queue, consumers]) => queueBinding(queue, consumers, defaults, invokerFor));
}

function queueBinding(queue: string, consumers: readonly DiscoveredConsumer[], defaults: BindingDefaults, invokerFor: InvokerFactory): QueueBinding {
  const limits = resolveQueueLimits(
    queue,
    consumers.map(({ name, metadata }) => ({ name, prefetch: metadata.options.prefetch, concurrency: metadata.options.concurrency })),
    defaults.prefetch,
  );
  const handlers = new Map<string, HandlerBinding>();
  for (const consumer of consumers) {
    const { contract, options } = consumer.metadata;
    const other = handlers.get(contract.name);
    if (other) {
      throw new ConsumerDefinitionError(
        `@Consumer ${consumer.name} and ${other.name} both handle contract "${contract.name}" on queue "${queue}"; ` +
          'a message is handled once per queue: give one of them its own queue (bound to the same exchange)',
      );
    }
    handlers.set(contract.name, {
      name: consumer.name,
      contract,
      ack: options.ack ?? defaults.ack,
      invoke: invokerFor(consumer),
      retry: resolveRetryPolicy(options.retry === undefined ? defaults.retry : options.retry, `@Consumer ${consumer.name}`),
      maxDeliveries: maxDeliveriesOf(consumer.name, options.maxDeliveries ?? defaults.maxDeliveries),
    });
  }
  const fallbacks = consumers.filter((consumer) => consumer.metadata.options.acceptsAnyType);
  if (fallbacks.length > 1) {
    throw new ConsumerDefinitionError(
      `Queue "${queue}": ${fallbacks.map((consumer) => consumer.name).join(' and ')} both set acceptsAnyType; at most one handler of a queue may take unclaimed types`,
    );
  }
  const fallback = fallbacks[0] && handlers.get(fallbacks[0].metadata.contract.name);
  return { queue, ...limits, handlers, fallback, name: consumers.map((consumer) => consumer.name).join('+') };
}
