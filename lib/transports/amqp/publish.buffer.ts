/**
 * What {@link PublishBuffer} needs of an item: a global publish order and the links the buffer threads
 * through it. The links live on the item itself so that removing a timed-out item from the middle of
 * the buffer is O(1), with no search and no array shifting.
 */
export interface BufferLinks<T> {
  readonly seq: number;
  prevInBuffer: T | undefined;
  nextInBuffer: T | undefined;
  inBuffer: boolean;
}

/**
 * The bounded FIFO of publishes waiting for a channel: while disconnected, or while every channel is at
 * its unconfirmed limit. `limit` bounds what new publishes may add; messages handed back by a dying
 * channel are always taken (they were accepted already), so the buffer may briefly exceed it.
 */
export class PublishBuffer<T extends BufferLinks<T>> {
  private head: T | undefined;
  private tail: T | undefined;
  private count = 0;

  constructor(readonly limit: number) {}

  get size(): number {
    return this.count;
  }

  /** True when a new publish must be refused. */
  get full(): boolean {
    return this.count >= this.limit;
  }

  push(item: T): void {
    item.prevInBuffer = this.tail;
    item.nextInBuffer = undefined;
    if (this.tail) this.tail.nextInBuffer = item;
    else this.head = item;
    this.tail = item;
    item.inBuffer = true;
    this.count++;
  }

  /** The oldest item, without removing it. */
  peek(): T | undefined {
    return this.head;
  }

  shift(): T | undefined {
    const item = this.head;
    if (item) this.remove(item);
    return item;
  }

  remove(item: T): void {
    if (!item.inBuffer) return;
    if (item.prevInBuffer) item.prevInBuffer.nextInBuffer = item.nextInBuffer;
    else this.head = item.nextInBuffer;
    if (item.nextInBuffer) item.nextInBuffer.prevInBuffer = item.prevInBuffer;
    else this.tail = item.prevInBuffer;
    item.prevInBuffer = item.nextInBuffer = undefined;
    item.inBuffer = false;
    this.count--;
  }

  /**
   * Puts back messages a dead channel never got confirmed, ahead of everything published after them, so
   * they are re-sent in their original order. A channel's send order is not always `seq` order (it may
   * have taken re-sends from a channel that died just before it), hence the sort. The walk only passes
   * over items restored earlier, which are few (bounded by the unconfirmed limits), since everything
   * still waiting was published later than anything already sent.
   */
  restore(items: readonly T[]): void {
    const sorted = [...items].sort((a, b) => a.seq - b.seq);
    let cursor = this.head;
    for (const item of sorted) {
      while (cursor && cursor.seq < item.seq) cursor = cursor.nextInBuffer;
      if (cursor) this.insertBefore(item, cursor);
      else this.push(item);
    }
  }

  /** Empties the buffer, returning its items oldest first. */
  drain(): T[] {
    const items: T[] = [];
    for (let item = this.shift(); item; item = this.shift()) items.push(item);
    return items;
  }

  private insertBefore(item: T, before: T): void {
    item.prevInBuffer = before.prevInBuffer;
    item.nextInBuffer = before;
    if (before.prevInBuffer) before.prevInBuffer.nextInBuffer = item;
    else this.head = item;
    before.prevInBuffer = item;
    item.inBuffer = true;
    this.count++;
  }
}
