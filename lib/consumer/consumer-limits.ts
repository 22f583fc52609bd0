import { assertConsumerLimit } from '../common/index.js';
import { ConsumerDefinitionError } from '../errors/index.js';

/** A queue's consumer limits, as one handler declares them (either may be left to the defaults). */
export interface DeclaredLimits {
  readonly name: string;
  readonly prefetch?: number;
  readonly concurrency?: number;
}

/** A queue's consumer limits, resolved and checked. */
export interface QueueLimits {
  readonly prefetch: number;
  readonly concurrency: number;
}

function agreedValue(queue: string, declared: readonly DeclaredLimits[], key: 'prefetch' | 'concurrency'): number | undefined {
  const setters = declared.filter((entry) => entry[key] !== undefined);
  const first = setters[0];
  const conflict = setters.find((entry) => entry[key] !== first?.[key]);
  if (first && conflict) {
    throw new ConsumerDefinitionError(
      `Queue "${queue}": ${first.name} sets ${key} ${first[key]} but ${conflict.name} sets ${conflict[key]}; ` +
        `${key} is a queue-level setting shared by every handler of the queue, so set it once (or the same everywhere)`,
    );
  }
  return first?.[key];
}

/**
 * How a queue's prefetch and concurrency are resolved: both follow {@link assertConsumerLimit}, the
 * handlers of one queue agree on them, concurrency defaults to prefetch and may not exceed it (the broker
 * never hands out more than prefetch messages, so more handler slots would never fill).
 */
export function resolveQueueLimits(queue: string, declared: readonly DeclaredLimits[], defaultPrefetch: number): QueueLimits {
  const label = `Queue "${queue}" (${declared.map((entry) => entry.name).join(', ')})`;
  const prefetch = agreedValue(queue, declared, 'prefetch') ?? defaultPrefetch;
  assertConsumerLimit(prefetch, `${label}: prefetch`);
  const concurrency = agreedValue(queue, declared, 'concurrency') ?? prefetch;
  assertConsumerLimit(concurrency, `${label}: concurrency`);
  if (concurrency > prefetch) {
    throw new ConsumerDefinitionError(
      `${label}: concurrency ${concurrency} exceeds prefetch ${prefetch}; the broker never hands out more than prefetch messages at once`,
    );
  }
  return { prefetch, concurrency };
}
