import type { DeadLetterOutcome, DeadLetterRequest } from '../transport.interface.js';
import type { MemoryDelivery, SettleOutcome } from './memory.delivery.js';
import type { DeadLetterReason, StoredMessage } from './memory.message.js';
import type { MemoryQueue } from './memory.queue.js';

/** What the broker provides to its queues. */
export interface MemoryQueueHooks {
  /** Runs a change to broker state; dead-letters it causes are routed once the outermost change is done. */
  atomically<T>(change: () => T): T;
  /** `atomically` without the closure, for per-message paths: `enter()`, then `leave()` in a `finally`. */
  enter(): void;
  leave(): void;
  /** The queue gave up a message; route it to the queue's dead-letter exchange. */
  deadLetter(queue: MemoryQueue, message: StoredMessage, reason: DeadLetterReason): void;
  /** A consumer settled a delivery (called before the queue acts on it). */
  settled(queue: MemoryQueue, delivery: MemoryDelivery, outcome: SettleOutcome): void;
  /** A consumer asked to dead-letter a delivery with its failure recorded (the SDK's copy-then-ack). */
  copyToDeadLetter(queue: MemoryQueue, delivery: MemoryDelivery, request: DeadLetterRequest): Promise<DeadLetterOutcome>;
  /** An `autoDelete` queue lost its last consumer. */
  lastConsumerGone(queue: MemoryQueue): void;
}

/** Whether a queue took a message or refused it for being full (`reject-publish` overflow). */
export type EnqueueResult = 'accepted' | 'rejected';
