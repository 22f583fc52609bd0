import { setImmediate as realSetImmediate } from 'node:timers';

type Settle = () => void;

/**
 * Publisher confirms of the in-memory broker. Each publish settles on a later macrotask, as a broker's
 * confirm would, but all the confirms due together share one `setImmediate` instead of a timer each:
 * under load that is one timer per event-loop turn rather than one per message. A publish made while a
 * batch is being confirmed joins the next batch, so it still settles on a later macrotask than its own.
 * `node:timers` keeps confirms working under jest's fake timers.
 *
 * Successive successful publishes of a batch share one promise (a promise and its resolver per publish
 * were one of the larger allocations of a memory publish); a failed publish gets its own rejected one and
 * starts a new run, so confirms and failures still settle in publish order.
 */
export class MemoryConfirmBatch {
  private due: Settle[] = [];
  private count = 0;
  private scheduled = false;
  /** The promise the current run of successful publishes shares, while it is the batch's last entry. */
  private run: Promise<void> | undefined;
  private drained: Array<() => void> = [];
  private readonly flush = (): void => this.confirmDue();

  /** Publishes waiting for their confirm. */
  get pending(): number {
    return this.count;
  }

  /** A confirm for one publish: resolves on a later macrotask, or rejects with `error` then. */
  confirm(error?: Error): Promise<void> {
    this.count++;
    if (!this.scheduled) {
      this.scheduled = true;
      realSetImmediate(this.flush);
    }
    if (error) {
      this.run = undefined;
      return new Promise<void>((_, reject) => this.due.push(() => reject(error)));
    }
    this.run ??= new Promise<void>((resolve) => this.due.push(resolve));
    return this.run;
  }

  /** Resolves once every confirm pending now has settled. */
  settled(): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.drained.push(resolve));
  }

  private confirmDue(): void {
    const due = this.due;
    const drained = this.drained;
    this.due = [];
    this.drained = [];
    this.count = 0;
    this.run = undefined;
    this.scheduled = false;
    for (const settle of due) settle();
    for (const resolve of drained) resolve();
  }
}
