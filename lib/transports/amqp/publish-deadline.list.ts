/** What {@link PublishDeadlineList} threads through an item: its deadline and its neighbours. */
export interface DeadlineLinks<T> {
  deadlineAt: number;
  prevByDeadline: T | undefined;
  nextByDeadline: T | undefined;
  tracked: boolean;
}

/**
 * The deadlines of every outstanding publish, on one timer. All publishes share one timeout and are
 * tracked as they are made, so appending keeps the list sorted by deadline; settling unlinks in O(1) and
 * only the head's deadline needs a timer. A timer per publish would cost an allocation, a timer-list
 * insertion and a removal for each of them, and thousands of live Timeout objects while many are
 * outstanding.
 *
 * When the head settles, the timer is left armed for its deadline and re-armed then for the new head,
 * so a stream of settling publishes costs no timer work at all; with nothing left the timer is cleared,
 * keeping an idle process free to exit.
 */
export class PublishDeadlineList<T extends DeadlineLinks<T>> {
  private head: T | undefined;
  private tail: T | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly timeoutMs: number,
    private readonly expired: (item: T) => void,
  ) {}

  /** Starts the deadline of a new publish, `timeoutMs` from now. */
  track(item: T): void {
    item.deadlineAt = performance.now() + this.timeoutMs;
    item.prevByDeadline = this.tail;
    item.nextByDeadline = undefined;
    if (this.tail) this.tail.nextByDeadline = item;
    else this.head = item;
    this.tail = item;
    item.tracked = true;
    this.timer ??= setTimeout(() => this.fire(), this.timeoutMs);
  }

  /** The publish settled: its deadline no longer matters. */
  untrack(item: T): void {
    if (!item.tracked) return;
    if (item.prevByDeadline) item.prevByDeadline.nextByDeadline = item.nextByDeadline;
    else this.head = item.nextByDeadline;
    if (item.nextByDeadline) item.nextByDeadline.prevByDeadline = item.prevByDeadline;
    else this.tail = item.prevByDeadline;
    item.prevByDeadline = item.nextByDeadline = undefined;
    item.tracked = false;
    if (!this.head) this.stop();
  }

  /** Stops the timer (the items stay tracked; used when the owner is done with them). */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private fire(): void {
    this.timer = undefined;
    const now = performance.now();
    for (let item = this.head; item && item.deadlineAt <= now; item = this.head) {
      this.untrack(item);
      this.expired(item);
    }
    // Timers run on the event loop's cached clock and may come a little before `deadlineAt`.
    if (this.head) this.timer ??= setTimeout(() => this.fire(), Math.max(1, Math.ceil(this.head.deadlineAt - now)));
  }
}
