import type { TopologyDefinition } from '../topology/index.js';
import { RedriveDestinationError } from './dead-letters.errors.js';

/** What decides where a redrive may send a message. */
export interface RedriveDestinationRules {
  /** The dead-letter queue being redriven. */
  readonly from: string;
  /** Queues the operator named (`RedriveOptions.to`); when given, the only ones allowed. */
  readonly named: readonly string[] | undefined;
  /** The application's topology, when the redrive runs inside it (the module's `DeadLetters`). */
  readonly topology: TopologyDefinition | undefined;
}

/** Whether `queue`'s failures land in `from`: its error queue is `from`, or its dead-letter exchange is bound to `from`. */
function deadLettersInto(topology: TopologyDefinition, queue: string, from: string): boolean {
  const definition = topology.queues?.find((candidate) => candidate.name === queue);
  if (definition === undefined) return false;
  if (definition.errorQueue === from) return true;
  const dlx = definition.deadLetterExchange;
  if (dlx === undefined) return false;
  return definition.deadLetterRoutedElsewhere === true || (topology.bindings ?? []).some((binding) => binding.exchange === dlx && binding.queue === from);
}

/** `billing` for `billing.error`; undefined for a queue not named like the SDK's default error queues. */
function defaultOrigin(from: string): string | undefined {
  return from.endsWith('.error') && from.length > '.error'.length ? from.slice(0, -'.error'.length) : undefined;
}

/**
 * Checks the queue a dead-lettered message says it failed on (its `x-failure-queue`, else the broker's
 * death record) before a redrive publishes there with the operator's credentials. Those headers travel
 * with the message, so a producer could write any queue name into them; they are only followed to:
 * - a queue the operator named (`to`), when any is named;
 * - else, with the application's topology, a declared queue whose failures go to this dead-letter queue
 *   (its `errorQueue`, or a dead-letter exchange bound to it);
 * - else (the CLI, or `DeadLetters` built without a topology), the queue whose default error queue this
 *   is: `billing` for `billing.error`.
 * @returns the error that refuses it, or `undefined` when the destination is allowed.
 */
export function refuseDestination(rules: RedriveDestinationRules, destination: string): RedriveDestinationError | undefined {
  const { from, named, topology } = rules;
  if (destination === from) return new RedriveDestinationError(from, destination, 'it is the dead-letter queue itself');
  if (named !== undefined) {
    return named.includes(destination) ? undefined : new RedriveDestinationError(from, destination, `it is not among the queues named with "to" (${named.join(', ')})`);
  }
  if (topology !== undefined) {
    return deadLettersInto(topology, destination, from)
      ? undefined
      : new RedriveDestinationError(from, destination, 'no queue of the application\'s topology by that name dead-letters into this queue; name it with "to" to send it there anyway');
  }
  const assumed = defaultOrigin(from);
  return destination === assumed
    ? undefined
    : new RedriveDestinationError(
        from,
        destination,
        `without the application's topology only ${assumed === undefined ? 'queues named with "to" are allowed' : `"${assumed}" is assumed for "${from}"`}; name the destination with "to" (CLI: --to)`,
      );
}
