import type { QueueSettings } from './memory.declarations.js';
import type { MemoryReadyList } from './memory-ready.list.js';
import type { StoredMessage } from './memory.message.js';

/**
 * Why a delivered message comes back to its queue:
 * - `requeue`: the consumer nacked it with requeue;
 * - `lost`: its channel went away unsettled (connection loss, close);
 * - `unseen`: the memory broker took back a delivery its handler never received (a cancelled consumer's
 *   outbox); as far as the application knows it never left, so nothing is counted.
 */
export type ReturnCause = 'requeue' | 'lost' | 'unseen';

/**
 * Puts a returned message back the way RabbitMQ 3.10 does, or reports that it must be dead-lettered
 * instead (`'delivery_limit'`). The caller sets `redelivered` first.
 *
 * - Classic queue: back at its original position, whatever the cause; no count.
 * - Quorum queue: a nacked message goes to the tail, so a poison message cannot block the ones behind
 *   it; a message a lost channel returns goes ahead of the ready ones, after earlier returns (rabbit_fifo
 *   serves its returns queue first). Both count as a delivery (`x-delivery-count`), and a count above
 *   `x-delivery-limit` dead-letters the message: with limit N it is delivered N + 1 times.
 */
export function returnToQueue(settings: QueueSettings, ready: MemoryReadyList, message: StoredMessage, cause: ReturnCause): 'queued' | 'delivery_limit' {
  if (settings.type === 'classic') {
    ready.restore(message);
    return 'queued';
  }
  if (cause !== 'unseen') {
    message.deliveryCount++;
    if (settings.deliveryLimit !== undefined && message.deliveryCount > settings.deliveryLimit) return 'delivery_limit';
  }
  if (cause === 'requeue') ready.push(message);
  else ready.returnToFront(message);
  return 'queued';
}
