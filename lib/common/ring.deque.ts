/**
 * A double-ended queue on a growable ring buffer: push and shift at either end in O(1), where
 * `Array.prototype.shift` and `splice(0, n)` move every remaining element. Queues that see one push and
 * one shift per message (ready lists, outboxes, waiting deliveries, bounded records) stay flat as they
 * grow. Indexing is relative to the head.
 */
export class RingDeque<T> {
  private slots: Array<T | undefined>;
  private head = 0;
  private size = 0;

  /** @param capacity Initial slots, rounded up to a power of two; it grows by doubling. */
  constructor(capacity = 16) {
    let slots = 4;
    while (slots < capacity) slots *= 2;
    this.slots = new Array<T | undefined>(slots);
  }

  /** Number of elements. */
  get length(): number {
    return this.size;
  }

  /** Appends at the tail. */
  push(value: T): void {
    if (this.size === this.slots.length) this.grow();
    this.slots[(this.head + this.size) & (this.slots.length - 1)] = value;
    this.size++;
  }

  /** Prepends at the head. */
  unshift(value: T): void {
    if (this.size === this.slots.length) this.grow();
    this.head = (this.head - 1) & (this.slots.length - 1);
    this.slots[this.head] = value;
    this.size++;
  }

  /** Removes and returns the head, or `undefined` when empty. */
  shift(): T | undefined {
    if (this.size === 0) return undefined;
    const value = this.slots[this.head];
    this.slots[this.head] = undefined; // let it be collected
    this.head = (this.head + 1) & (this.slots.length - 1);
    this.size--;
    return value;
  }

  /** The head without removing it. */
  peek(): T | undefined {
    return this.size === 0 ? undefined : this.slots[this.head];
  }

  /** The element `index` places from the head, or `undefined` out of range. */
  at(index: number): T | undefined {
    if (index < 0 || index >= this.size) return undefined;
    return this.slots[(this.head + index) & (this.slots.length - 1)];
  }

  /** Replaces the element `index` places from the head (which must exist). */
  set(index: number, value: T): void {
    if (index < 0 || index >= this.size) throw new RangeError(`RingDeque index ${index} out of range (length ${this.size})`);
    this.slots[(this.head + index) & (this.slots.length - 1)] = value;
  }

  /**
   * Inserts at `index` from the head (0 = front, `length` = back), moving the shorter side: O(1) at
   * either end, O(min(index, length - index)) in between. Returned messages go back near the head.
   */
  insert(index: number, value: T): void {
    if (index <= 0) return this.unshift(value);
    if (index >= this.size) return this.push(value);
    if (this.size === this.slots.length) this.grow();
    const mask = this.slots.length - 1;
    if (index < this.size / 2) {
      this.head = (this.head - 1) & mask;
      for (let i = 0; i < index; i++) this.slots[(this.head + i) & mask] = this.slots[(this.head + i + 1) & mask];
    } else {
      for (let i = this.size; i > index; i--) this.slots[(this.head + i) & mask] = this.slots[(this.head + i - 1) & mask];
    }
    this.slots[(this.head + index) & mask] = value;
    this.size++;
  }

  /** Removes everything and returns it in order. */
  clear(): T[] {
    const removed = this.toArray();
    this.slots = new Array<T | undefined>(Math.min(this.slots.length, 16));
    this.head = 0;
    this.size = 0;
    return removed;
  }

  /** The elements in order, as a new array. */
  toArray(): T[] {
    const out = new Array<T>(this.size);
    for (let i = 0; i < this.size; i++) out[i] = this.slots[(this.head + i) & (this.slots.length - 1)] as T;
    return out;
  }

  private grow(): void {
    const bigger = new Array<T | undefined>(this.slots.length * 2);
    for (let i = 0; i < this.size; i++) bigger[i] = this.slots[(this.head + i) & (this.slots.length - 1)];
    this.slots = bigger;
    this.head = 0;
  }
}
