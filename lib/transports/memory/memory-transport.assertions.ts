import { TopologyError } from '../../errors/index.js';
import type { MemoryBroker } from './memory.broker.js';
import { waitForIdle, waitForRecords } from './memory-idle.waiter.js';
import { queuedMessage } from './memory.message.js';
import type { MemoryQueue } from './memory.queue.js';
import type { MemoryQueuedMessage, MemoryRecords, QueueDepth } from './memory-record.types.js';
import type { MemoryRecorder } from './memory.recorder.js';
import type { WaitForIdleOptions, WaitForOptions } from './memory-transport.options.js';

/**
 * The assertion API of `MemoryTransport`, for tests: what was recorded, what waits in a queue, waiting
 * for idleness or for a condition on the records, purging and resetting. Separate from the transport
 * contract so each stays readable; `MemoryTransport` is the only subclass.
 */
export abstract class MemoryTransportAssertions {
  protected constructor(
    protected readonly recorder: MemoryRecorder,
    protected readonly broker: MemoryBroker,
  ) {}

  /** Everything recorded so far (oldest first), as a snapshot that later activity does not change. */
  get records(): MemoryRecords {
    return this.recorder.snapshot();
  }

  /** The ready (not delivered) messages of a queue, in delivery order. Throws {@link TopologyError} for an unknown queue. */
  messages(queue: string): MemoryQueuedMessage[] {
    return this.requireQueue(queue).readyMessages().map(queuedMessage);
  }

  /** Ready and unacked message counts of a queue. Throws {@link TopologyError} for an unknown queue. */
  queueDepth(queue: string): QueueDepth {
    const found = this.requireQueue(queue);
    return { ready: found.readyCount, unacked: found.unackedCount };
  }

  /**
   * Messages a queue dead-lettered at least once (`x-dead-letter-strategy: at-least-once`) that not every
   * target queue has taken yet: the queue holds them and sends them again later. Throws
   * {@link TopologyError} for an unknown queue.
   */
  heldForDeadLetter(queue: string): number {
    return this.broker.retainer.count(this.requireQueue(queue).name);
  }

  /**
   * Deletes a queue with its messages and bindings, as an operator's `queue.delete` would; deliveries
   * still unacked can be settled, to no effect. Does nothing for an unknown queue.
   */
  deleteQueue(queue: string): void {
    this.broker.atomically(() => this.broker.registry.deleteQueue(queue));
  }

  /** Whether the broker has an exchange of that name (built-ins included). */
  hasExchange(name: string): boolean {
    return this.broker.registry.exchange(name) !== undefined;
  }

  /** Whether the broker has a queue of that name. */
  hasQueue(name: string): boolean {
    return this.broker.registry.hasQueue(name);
  }

  /**
   * Removes a queue's ready messages without dead-lettering them, like AMQP `queue.purge`; unacked
   * deliveries are untouched. Returns how many were removed.
   */
  purge(queue: string): number {
    return this.requireQueue(queue).purge();
  }

  /** Forgets all records, purges every queue and drops held dead-letters; the topology and subscriptions stay. */
  reset(): void {
    this.recorder.clear();
    this.broker.retainer.clear();
    for (const queue of this.broker.registry.allQueues()) queue.purge();
  }

  /**
   * Resolves once the broker is idle: no ready message in a queue that has an active consumer, nothing
   * unacked, no publish awaiting its confirm, and still so over a few checks a timer turn apart (so a
   * handler's deferred follow-up publish is waited for). Rejects after `timeoutMs` (default 5000) with an
   * Error listing which queues are busy and how.
   */
  waitForIdle(options: WaitForIdleOptions = {}): Promise<void> {
    return waitForIdle(() => this.busy(), options);
  }

  /**
   * Resolves with the records once `predicate` holds for them, checking now and then about every
   * millisecond; rejects after `timeoutMs` (default 5000) with what was recorded and what is busy.
   *
   * @example await transport.waitFor((r) => r.acked.filter((a) => a.queue === 'billing').length >= 3);
   */
  waitFor(predicate: (records: MemoryRecords) => boolean, options: WaitForOptions = {}): Promise<MemoryRecords> {
    return waitForRecords(this.recorder, predicate, () => this.busy(), options);
  }

  /** What keeps the broker from being idle, one line per reason; empty when idle. */
  protected abstract busy(): string[];

  protected requireQueue(name: string): MemoryQueue {
    const queue = this.broker.registry.queue(name);
    if (!queue) throw new TopologyError(`NOT_FOUND: no queue "${name}" in the in-memory broker`);
    return queue;
  }
}
