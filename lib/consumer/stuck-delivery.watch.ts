import { Logger } from '@nestjs/common';
import type { TransportEvents } from '../transports/transport.events.js';
import type { TransportDelivery } from '../transports/transport.interface.js';

/** One tracked delivery; `done()` when it is settled (or dropped). */
export interface StuckDeliveryTicket {
  done(): void;
}

const NOOP_TICKET: StuckDeliveryTicket = { done: () => undefined };

/** A delivery under watch, from take to settle. */
class WatchedDelivery implements StuckDeliveryTicket {
  constructor(
    private readonly watch: StuckDeliveryWatch,
    readonly delivery: TransportDelivery,
    readonly since: number,
  ) {}

  done(): void {
    this.watch.release(this);
  }
}

/**
 * Makes a handler that never settles its message loud: a manual-ack handler that forgets to ack holds
 * its consumer slot forever, and once every slot is held the consumer stops without a word. After
 * `stuckAfterMs` the delivery is logged and reported as `delivery.stuck` on the transport's events (which
 * counts it in stats); when it is finally settled, `delivery.unstuck` follows. Nothing is aborted or
 * settled on the handler's behalf: only the handler knows whether its work is still going.
 *
 * One timer per watch, not one per delivery: deliveries are kept in the order they were taken, and the
 * timer is set for the oldest one's deadline; when it fires, every delivery past its deadline is reported
 * and the timer moves on to the next oldest. A delivery settled in time costs a set entry and nothing else.
 */
export class StuckDeliveryWatch {
  private readonly logger = new Logger('Messaging');
  /** Watched and not yet reported, oldest first (a Set iterates in insertion order). */
  private readonly watched = new Set<WatchedDelivery>();
  private readonly reported = new Set<WatchedDelivery>();
  private timer: ReturnType<typeof setTimeout> | undefined;

  /** `stuckAfterMs` 0 disables the watch. */
  constructor(
    private readonly consumer: string,
    private readonly queue: string,
    private readonly stuckAfterMs: number,
    private readonly events: TransportEvents | undefined,
  ) {}

  /** Starts watching one delivery as its handler takes it. */
  track(delivery: TransportDelivery): StuckDeliveryTicket {
    if (this.stuckAfterMs <= 0) return NOOP_TICKET;
    const since = Date.now();
    const watched = new WatchedDelivery(this, delivery, since);
    this.watched.add(watched);
    if (this.timer === undefined) this.arm(this.stuckAfterMs);
    return watched;
  }

  /** A watched delivery was settled: forget it, and report it unstuck if it had been reported stuck. */
  release(watched: WatchedDelivery): void {
    if (this.watched.delete(watched)) return;
    if (this.reported.delete(watched)) this.events?.emit('delivery.unstuck', this.describe(watched));
  }

  private arm(delayMs: number): void {
    this.timer = setTimeout(() => this.sweep(), Math.max(0, delayMs));
    // A watch must never keep the process alive on its own.
    this.timer.unref();
  }

  private sweep(): void {
    this.timer = undefined;
    const now = Date.now();
    for (const watched of this.watched) {
      const due = watched.since + this.stuckAfterMs;
      if (due > now) {
        this.arm(due - now);
        return;
      }
      this.watched.delete(watched);
      this.reported.add(watched);
      this.report(watched);
    }
  }

  private report(watched: WatchedDelivery): void {
    const { messageId } = watched.delivery.message.properties;
    this.logger.warn(
      `Consumer ${this.consumer}: message ${messageId ?? '(no id)'} on "${this.queue}" is still unsettled after ` +
        `${this.stuckAfterMs} ms; it holds one of the consumer's slots (a manual-ack handler that never acks?)`,
    );
    this.events?.emit('delivery.stuck', this.describe(watched));
  }

  private describe(watched: WatchedDelivery) {
    const { messageId, type } = watched.delivery.message.properties;
    return { consumer: this.consumer, queue: this.queue, messageId, type, unsettledForMs: Date.now() - watched.since };
  }
}
