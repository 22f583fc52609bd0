import type { MemoryDelivery } from './memory.delivery.js';

/**
 * A queue's delivered, unsettled messages, in delivery order; removing one frees its consumer's prefetch
 * slot. A list linked through the deliveries themselves: adding and removing touch two neighbours, where
 * a map by tag hashed twice per message, and a settle finds its entry from the handle without a lookup.
 */
export class MemoryUnackedTable {
  private head: MemoryDelivery | undefined;
  private tail: MemoryDelivery | undefined;
  private count = 0;
  private nextTag = 1;

  /** Number of unsettled deliveries. */
  get size(): number {
    return this.count;
  }

  /** The next delivery tag: unique per queue for the life of the transport. */
  newTag(): number {
    return this.nextTag++;
  }

  add(delivery: MemoryDelivery): void {
    delivery.unacked = true;
    delivery.unackedPrev = this.tail;
    delivery.unackedNext = undefined;
    if (this.tail) this.tail.unackedNext = delivery;
    else this.head = delivery;
    this.tail = delivery;
    this.count++;
  }

  /** Whether a delivery is still outstanding (not settled, not returned). */
  has(delivery: MemoryDelivery): boolean {
    return delivery.unacked;
  }

  /** Forgets a delivery and frees its consumer's slot. */
  remove(delivery: MemoryDelivery): void {
    if (!delivery.unacked) return;
    const { unackedPrev: prev, unackedNext: next } = delivery;
    if (prev) prev.unackedNext = next;
    else this.head = next;
    if (next) next.unackedPrev = prev;
    else this.tail = prev;
    delivery.unacked = false;
    delivery.unackedPrev = undefined;
    delivery.unackedNext = undefined;
    this.count--;
    delivery.consumer.release();
  }

  /** Forgets every delivery, in delivery order, invalidating its handle (its channel is gone), and returns them. */
  takeAll(): MemoryDelivery[] {
    const all: MemoryDelivery[] = [];
    for (let delivery = this.head; delivery; delivery = delivery.unackedNext) all.push(delivery);
    for (const delivery of all) {
      this.remove(delivery);
      delivery.markStale();
    }
    return all;
  }
}
