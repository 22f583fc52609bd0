import { RingDeque } from '../../common/index.js';
import type { StoredMessage } from './memory.message.js';

/**
 * A queue's ready messages in delivery order, with their total body size for `maxLengthBytes`.
 *
 * New messages go to the tail. A classic queue puts a returned message back by sequence number, which
 * puts it at the head in front of every newer message: its original position. A quorum queue keeps
 * messages returned by a lost channel in a separate returns queue it serves first, in the order they
 * came back; here that is a prefix of the list (see {@link returnToFront}).
 *
 * A ring deque, so taking the head and appending stay O(1) however deep the queue is.
 */
export class MemoryReadyList {
  private items = new RingDeque<StoredMessage>();
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
    return this.items.peek();
  }

  /** Appends a newly arrived message. */
  push(message: StoredMessage): void {
    this.items.push(message);
    this.byteCount += message.body.length;
  }

  /** Puts a returned message back in front of every newer one. */
  restore(message: StoredMessage): void {
    // Returned messages are usually older than everything ready, so the scan stops at once.
    let index = 0;
    const { length } = this.items;
    while (index < length && this.items.at(index)!.sequence < message.sequence) index++;
    this.items.insert(index, message);
    this.byteCount += message.body.length;
  }

  /** Puts a message back after those returned before it and ahead of every other ready message. */
  returnToFront(message: StoredMessage): void {
    this.items.insert(this.returned, message);
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
    const removed = this.items.clear();
    this.byteCount = 0;
    this.returned = 0;
    return removed;
  }

  /** The ready messages in order; a copy of the list, not of the messages. */
  toArray(): readonly StoredMessage[] {
    return this.items.toArray();
  }
}
