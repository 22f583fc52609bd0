import type { MessageProperties } from '../transport.interface.js';
import type { StoredMessage, DeadLetterReason } from './memory.message.js';
import type { MemoryQueue } from './memory.queue.js';

/**
 * RabbitMQ's default `dead_letter_worker_publisher_confirm_timeout`: how long a quorum queue's
 * at-least-once dead-letter worker waits before it sends again a message that no queue took (measured on
 * 3.10.8: a message refused by a full target, and one its dead-letter exchange could not route, both
 * arrived about 180 s later).
 */
export const DEFAULT_DEAD_LETTER_RETRY_MS = 180_000;

/** A dead-lettered message an at-least-once queue still holds: not every queue it is routed to took it. */
export interface RetainedDeadLetter {
  readonly queue: MemoryQueue;
  readonly message: StoredMessage;
  readonly reason: DeadLetterReason;
  readonly exchange: string;
  readonly routingKey: string;
  /** The message's properties with its death record, computed once at the first attempt. */
  readonly properties: MessageProperties;
  /** Queues that took it already; a retry sends it only to the others, as RabbitMQ's worker does. */
  readonly delivered: Set<string>;
}

/**
 * The at-least-once dead-letter strategy of quorum queues: messages whose dead-lettering did not reach
 * every routed queue (no route at all, or a `reject-publish` queue was full) stay with their source
 * queue and are sent again every `retryMs` until they are delivered or their source queue is deleted.
 */
export class MemoryDeadLetterRetainer {
  private readonly held: RetainedDeadLetter[] = [];
  private timer: NodeJS.Timeout | undefined;

  /**
   * @param retryMs wait between attempts
   * @param send one more attempt; true once every queue it routes to took it
   */
  constructor(
    private readonly retryMs: number,
    private readonly send: (held: RetainedDeadLetter) => boolean,
  ) {}

  /** Keeps a message until a later attempt delivers it. */
  hold(held: RetainedDeadLetter): void {
    this.held.push(held);
    this.schedule();
  }

  /** Messages a queue holds for dead-lettering. */
  count(queue: string): number {
    return this.held.filter((held) => held.queue.name === queue && !held.queue.deleted).length;
  }

  /** Forgets every held message (a reset broker). */
  clear(): void {
    this.held.length = 0;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (this.timer || this.held.length === 0) return;
    this.timer = setTimeout(() => this.retry(), this.retryMs);
    // A broker with nothing else to do must not keep the process alive for a dead-letter retry.
    this.timer.unref();
  }

  private retry(): void {
    this.timer = undefined;
    const due = this.held.splice(0);
    for (const held of due) {
      // A deleted source queue takes its held messages with it.
      if (!held.queue.deleted && !this.send(held)) this.held.push(held);
    }
    this.schedule();
  }
}
