import type { StoredMessage } from './memory.message.js';

/**
 * A queue's ready messages in delivery order, with their total body size for `maxLengthBytes`.
 *
 * New messages go to the tail. Returned messages go back by sequence number, which puts them at the
 * head in front of every newer message, the way a RabbitMQ classic queue restores a requeued message to
 * its original position.
 */
export class MemoryReadyList {
  private items: StoredMessage[] = [];
  private byteCount = 0;

  /** Number of ready messages. */
  get length(): number {
    return this.items.length;
  }

  /** Total body bytes of the ready messages. */
  get bytes(): number {
    return this.byteCount;
  }

  /** The next message to deliver, without removing it. */
  peek(): StoredMessage | undefined {
    return this.items[0];
  }

  /** Appends a newly arrived message. */
  push(message: StoredMessage): void {
    this.items.push(message);
    this.byteCount += message.body.length;
  }

  /** Puts a returned message back in front of every newer one. */
  restore(message: StoredMessage): void {
    let index = 0;
    while (index < this.items.length && this.items[index].sequence < message.sequence) index++;
    this.items.splice(index, 0, message);
    this.byteCount += message.body.length;
  }

  /** Removes and returns the head. */
  shift(): StoredMessage | undefined {
    const message = this.items.shift();
    if (message) this.byteCount -= message.body.length;
    return message;
  }

  /** Removes everything and returns what was there. */
  clear(): StoredMessage[] {
    const removed = this.items;
    this.items = [];
    this.byteCount = 0;
    return removed;
  }

  /** The ready messages in order; a copy of the list, not of the messages. */
  toArray(): readonly StoredMessage[] {
    return [...this.items];
  }
}
