/**
 * The single timer a queue keeps for its head's expiry, so a queue nobody consumes from still
 * dead-letters on time. It uses the global timers, which jest's fake timers control, so TTL tests can
 * advance time instead of waiting; it is unref'd so it never keeps a process alive.
 */
export class MemoryExpiryTimer {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private at: number | undefined;

  constructor(
    private readonly clock: () => number,
    private readonly onExpire: () => void,
  ) {}

  /** Arms the timer for epoch milliseconds `at`, or disarms it when `at` is undefined. */
  set(at: number | undefined): void {
    if (at === this.at) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.at = at;
    if (at === undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.at = undefined;
      this.onExpire();
    }, Math.max(0, at - this.clock()));
    this.timer.unref?.();
  }
}
