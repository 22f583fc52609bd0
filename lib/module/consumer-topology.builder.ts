import type { QueueBinding } from '../consumer/consumer-binding.types.js';
import { DelayTopology } from '../retry/delay-topology.builder.js';
import { maxDelayOf } from '../retry/retry-policy.resolver.js';
import { TopologyError } from '../errors/index.js';
import type { QueueDefinition, TopologyDefinition } from '../topology/index.js';
import { retriedDeadLetterProblems } from '../topology/retried-dead-letter.check.js';

/** What the consumers add to the application's declared topology. */
export interface ConsumerTopology {
  /** The declared topology plus error queues and, when any handler retries with delays, the delay line. */
  readonly topology: TopologyDefinition;
  /** The delay line, when one is declared. */
  readonly delays: DelayTopology | undefined;
}

/** Options of {@link buildConsumerTopology}. */
export interface ConsumerTopologyOptions {
  /** Give consumed queues without a dead-letter setting an error queue. */
  readonly errorQueues: boolean;
  readonly delayLine?: { readonly prefix?: string; readonly maxDelayMs?: number };
}

/**
 * Completes the topology for the consumers that were found:
 * - every consumed queue without `deadLetterExchange` or `errorQueue` gets `errorQueue: '<name>.error'`,
 *   and that queue is declared, so no failure is discarded by default (the queue's own broker arguments
 *   are left as they were, so existing queues redeclare without a conflict);
 * - when a handler retries with delays, the delay line is declared and bound back to the queues whose
 *   handlers retry.
 *
 * @throws TopologyError when a retrying queue's dead-letter exchange routes by key without a
 * `deadLetterRoutingKey` (see {@link retriedDeadLetterProblems}).
 */
export function buildConsumerTopology(declared: TopologyDefinition, bindings: readonly QueueBinding[], options: ConsumerTopologyOptions): ConsumerTopology {
  const consumed = new Set(bindings.map((binding) => binding.queue));
  const names = new Set((declared.queues ?? []).map((queue) => queue.name));
  const errorQueues: QueueDefinition[] = [];
  const queues = (declared.queues ?? []).map((queue): QueueDefinition => {
    if (!consumed.has(queue.name) || queue.deadLetterExchange !== undefined || queue.errorQueue === false) return queue;
    const errorQueue = queue.errorQueue ?? (options.errorQueues ? `${queue.name}.error` : undefined);
    if (errorQueue === undefined) return queue;
    if (!names.has(errorQueue)) {
      names.add(errorQueue);
      // Same type as the queue it serves: a quorum queue's failures must survive a node loss too.
      errorQueues.push(queue.type === 'quorum' ? { name: errorQueue, type: 'quorum' } : { name: errorQueue, durable: queue.durable ?? true });
    }
    return { ...queue, errorQueue };
  });
  const retrying = bindings.filter((binding) => [...binding.handlers.values()].some((handler) => handler.retry.delayed));
  const maxDelayMs = Math.max(
    options.delayLine?.maxDelayMs ?? 0,
    ...retrying.flatMap((binding) => [...binding.handlers.values()].map((handler) => maxDelayOf(handler.retry))),
  );
  const problems = retriedDeadLetterProblems({ ...declared, queues }, retrying.map((binding) => binding.queue));
  if (problems.length > 0) throw new TopologyError(`Invalid topology: ${problems.join('; ')}`);
  const delays = retrying.length > 0 ? new DelayTopology(maxDelayMs, options.delayLine?.prefix) : undefined;
  const line = delays?.topology(retrying.map((binding) => binding.queue));
  return {
    delays,
    topology: {
      exchanges: [...(declared.exchanges ?? []), ...(line?.exchanges ?? [])],
      queues: [...queues, ...errorQueues, ...(line?.queues ?? [])],
      bindings: [...(declared.bindings ?? []), ...(line?.bindings ?? [])],
    },
  };
}
