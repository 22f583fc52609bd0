import type { MemoryConsumer } from './memory.consumer.js';

/**
 * A queue's subscriptions in the order they joined, served round-robin as RabbitMQ does: each message
 * goes to the next consumer after the last one served that has room in its prefetch window.
 */
export class MemoryConsumerRotation {
  private consumers: MemoryConsumer[] = [];
  private next = 0;

  /** Number of subscriptions. */
  get length(): number {
    return this.consumers.length;
  }

  /** Adds a subscription at the end of the rotation. */
  add(consumer: MemoryConsumer): void {
    this.consumers.push(consumer);
  }

  /** Removes a subscription, keeping the turn where it was; `false` when it was not there. */
  remove(consumer: MemoryConsumer): boolean {
    const index = this.consumers.indexOf(consumer);
    if (index < 0) return false;
    this.consumers.splice(index, 1);
    if (this.next > index) this.next--;
    return true;
  }

  /** Removes every subscription and returns them. */
  clear(): MemoryConsumer[] {
    const removed = this.consumers;
    this.consumers = [];
    this.next = 0;
    return removed;
  }

  /** The subscriptions, in joining order. */
  all(): readonly MemoryConsumer[] {
    return this.consumers;
  }

  /** The consumer whose turn it is among those with room, advancing the turn; undefined when all are full. */
  pick(): MemoryConsumer | undefined {
    const count = this.consumers.length;
    for (let i = 0; i < count; i++) {
      const index = (this.next + i) % count;
      const consumer = this.consumers[index];
      if (consumer.hasCapacity) {
        this.next = (index + 1) % count;
        return consumer;
      }
    }
    return undefined;
  }
}
