import type { UnackedEntry } from './memory-queue.hooks.js';

/** A queue's delivered, unsettled messages by delivery tag; removing one frees its consumer's prefetch slot. */
export class MemoryUnackedTable {
  private readonly entries = new Map<number, UnackedEntry>();
  private nextTag = 1;

  /** Number of unsettled deliveries. */
  get size(): number {
    return this.entries.size;
  }

  /** The next delivery tag: unique per queue for the life of the transport. */
  newTag(): number {
    return this.nextTag++;
  }

  add(entry: UnackedEntry): void {
    this.entries.set(entry.delivery.tag, entry);
  }

  get(tag: number): UnackedEntry | undefined {
    return this.entries.get(tag);
  }

  /** Forgets a delivery and frees its consumer's slot. */
  remove(entry: UnackedEntry): void {
    this.entries.delete(entry.delivery.tag);
    entry.consumer.release();
  }

  /** Forgets every delivery, invalidating its handle (its channel is gone), and returns them. */
  takeAll(): UnackedEntry[] {
    const all = [...this.entries.values()];
    for (const entry of all) {
      this.remove(entry);
      entry.delivery.markStale();
    }
    return all;
  }
}
