import { setImmediate as realSetImmediate } from 'node:timers';

type Settle = () => void;

/**
 * Publisher confirms of the in-memory broker. Each publish settles on a later macrotask, as a broker's
 * confirm would, but all the confirms due together share one `setImmediate` instead of a timer each:
 * under load that is one timer per event-loop turn rather than one per message. Order is kept, and a
 * publish made while a batch is being confirmed joins the next batch, so it still settles on a later
 * macrotask than its own. `node:timers` keeps confirms working under jest's fake timers.
 */
export class MemoryConfirmBatch {
  private due: Settle[] = [];
  private scheduled = false;
  private drained: Array<() => void> = [];
  private readonly flush = (): void => this.confirmDue();

  /** Publishes waiting for their confirm. */
  get pending(): number {
    return this.due.length;
  }

  /** A confirm for one publish: resolves on a later macrotask, or rejects with `error` then. */
  confirm(error?: Error): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.due.push(error ? () => reject(error) : resolve);
      if (!this.scheduled) {
        this.scheduled = true;
        realSetImmediate(this.flush);
      }
    });
  }

  /** Resolves once every confirm pending now has settled. */
  settled(): Promise<void> {
    if (this.due.length === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.drained.push(resolve));
  }

  private confirmDue(): void {
    const due = this.due;
    const drained = this.drained;
    this.due = [];
    this.drained = [];
    this.scheduled = false;
    for (const settle of due) settle();
    for (const resolve of drained) resolve();
  }
}
