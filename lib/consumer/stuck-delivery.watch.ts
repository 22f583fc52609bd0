import { Logger } from '@nestjs/common';
import type { TransportEvents } from '../transports/transport.events.js';
import type { TransportDelivery } from '../transports/transport.interface.js';

/** One tracked delivery; `done()` when it is settled (or dropped). */
export interface StuckDeliveryTicket {
  done(): void;
}

const NOOP_TICKET: StuckDeliveryTicket = { done: () => undefined };

/**
 * Makes a handler that never settles its message loud: a manual-ack handler that forgets to ack holds
 * its consumer slot forever, and once every slot is held the consumer stops without a word. After
 * `stuckAfterMs` the delivery is logged and reported as `delivery.stuck` on the transport's events (which
 * counts it in stats); when it is finally settled, `delivery.unstuck` follows. Nothing is aborted or
 * settled on the handler's behalf: only the handler knows whether its work is still going.
 */
export class StuckDeliveryWatch {
  private readonly logger = new Logger('Messaging');

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
    const { messageId, type } = delivery.message.properties;
    const describe = () => ({ consumer: this.consumer, queue: this.queue, messageId, type, unsettledForMs: Date.now() - since });
    let reported = false;
    const timer = setTimeout(() => {
      reported = true;
      this.logger.warn(
        `Consumer ${this.consumer}: message ${messageId ?? '(no id)'} on "${this.queue}" is still unsettled after ` +
          `${this.stuckAfterMs} ms; it holds one of the consumer's slots (a manual-ack handler that never acks?)`,
      );
      this.events?.emit('delivery.stuck', describe());
    }, this.stuckAfterMs);
    // A watch must never keep the process alive on its own.
    timer.unref();
    return {
      done: () => {
        clearTimeout(timer);
        if (!reported) return;
        reported = false;
        this.events?.emit('delivery.unstuck', describe());
      },
    };
  }
}
