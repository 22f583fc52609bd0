import type { StoredMessage } from './memory.message.js';

/**
 * A queue's ready messages in delivery order, with their total body size for `maxLengthBytes`.
 *
 * New messages go to the tail. A classic queue puts a returned message back by sequence number, which
 * puts it at the head in front of every newer message: its original position. A quorum queue keeps
 * messages returned by a lost channel in a separate returns queue it serves first, in the order they
 * came back; here that is a prefix of the list (see {@link returnToFront}).
 */
export class MemoryReadyList {
  private items: StoredMessage[] = [];
  private byteCount = 0;
  /** How many messages at the head are quorum returns, so the next return goes after them. */
  private returned = 0;

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

  /** Puts a message back after those returned before it and ahead of every other ready message. */
  returnToFront(message: StoredMessage): void {
    this.items.splice(this.returned, 0, message);
    this.returned++;
    this.byteCount += message.body.length;
  }

  /** Removes and returns the head. */
  shift(): StoredMessage | undefined {
    const message = this.items.shift();
    if (message) this.byteCount -= message.body.length;
    if (this.returned > 0) this.returned--;
    return message;
  }

  /** Removes everything and returns what was there. */
  clear(): StoredMessage[] {
    const removed = this.items;
    this.items = [];
    this.byteCount = 0;
    this.returned = 0;
    return removed;
  }

  /** The ready messages in order; a copy of the list, not of the messages. */
  toArray(): readonly StoredMessage[] {
    return [...this.items];
  }
}
