import { DeadLetterRouteChecker } from './dead-letter-route.checker.js';
import type { TopologyDefinition } from './topology.types.js';

/**
 * Problems with the broker's own dead-lettering of queues whose consumers retry through the delay line.
 *
 * A message back from the delay line carries the line's routing key (its delay in binary, e.g. `1.0.1`),
 * not the key it was first published with, and the broker dead-letters (`nack` without requeue, TTL
 * expiry, overflow, a quorum delivery limit) with the message's own key unless the queue sets
 * `deadLetterRoutingKey`. So a dead-letter exchange that routes by key (direct, topic, the default
 * exchange, or one reached through it) would silently drop or misroute every retried message the broker
 * dead-letters. The SDK's own dead-letter copies use the original key and are unaffected.
 */
export function retriedDeadLetterProblems(topology: TopologyDefinition, retryingQueues: readonly string[]): string[] {
  const retrying = new Set(retryingQueues);
  const checker = new DeadLetterRouteChecker(topology);
  const problems: string[] = [];
  for (const queue of topology.queues ?? []) {
    if (!retrying.has(queue.name) || queue.deadLetterExchange === undefined || queue.deadLetterRoutingKey !== undefined) continue;
    if (!checker.routesByKey(queue.deadLetterExchange)) continue;
    problems.push(
      `queue "${queue.name}" retries through the delay line and dead-letters to exchange "${queue.deadLetterExchange}", which routes by ` +
        'routing key: a retried message carries the delay line\'s key, so the broker\'s own dead-lettering (nack without requeue, TTL, ' +
        'overflow) would lose it. Set deadLetterRoutingKey on the queue, or dead-letter to a fanout or headers exchange',
    );
  }
  return problems;
}
