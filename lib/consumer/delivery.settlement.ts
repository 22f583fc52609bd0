import { Logger } from '@nestjs/common';
import { MessageAlreadySettledError } from '../errors/index.js';
import type { DeadLetterOutcome, TransportDelivery } from '../transports/transport.interface.js';
import type { DeliveryFailure } from './delivery-failure.types.js';
import type { SettlementObserver } from '../observability/consume-events.emitter.js';
import { buildFailureHeaders, type FailureHeaderOptions } from './failure.headers.js';

/**
 * Where a message ended up. `pending` until one of the settle calls happens; `retried` when it left for a
 * delayed retry (a copy waits in the delay line, the original was acked).
 */
export type SettlementState = 'pending' | 'acked' | 'requeued' | 'nacked' | 'dead-lettered' | 'retried';

/**
 * Makes sure a delivery is settled exactly once. Settling twice on AMQP closes the channel (and with it
 * every other in-flight message of that consumer), so a second call throws instead of reaching the broker.
 */
export class DeliverySettlement {
  private current: SettlementState = 'pending';
  // `done` is made on first use: most settlements are never awaited, and a promise per message adds up.
  private finished = false;
  private donePromise: Promise<void> | undefined;
  private resolveDone: (() => void) | undefined;

  /** The handler the message was routed to, for events (the queue's handlers before routing). */
  consumer = '';
  /** The attempt being made, for events. */
  attempt: number;

  constructor(
    private readonly delivery: TransportDelivery,
    private readonly headerOptions: FailureHeaderOptions = {},
    private readonly observer?: SettlementObserver,
  ) {
    this.attempt = delivery.attempt;
  }

  /** Resolves once the delivery is settled, however that happened. */
  get done(): Promise<void> {
    this.donePromise ??= this.finished ? Promise.resolve() : new Promise<void>((resolve) => (this.resolveDone = resolve));
    return this.donePromise;
  }

  /** The settlement so far. */
  get state(): SettlementState {
    return this.current;
  }

  /** Acknowledges the delivery. */
  ack(): void {
    this.claim('acked');
    this.warnIfStale(this.delivery.ack());
    this.observer?.settled(this.delivery, this.consumer, this.attempt, 'acked');
    this.finish();
  }

  /** Negatively acknowledges; `requeue: false` lets the broker dead-letter it (without a recorded reason). */
  nack(requeue: boolean): void {
    this.claim(requeue ? 'requeued' : 'nacked');
    this.warnIfStale(this.delivery.nack(requeue));
    this.observer?.settled(this.delivery, this.consumer, this.attempt, this.current);
    this.finish();
  }

  /**
   * Dead-letters with the failure recorded on the message. The transport does it (see
   * `TransportDelivery.deadLetter`) and never loses the message: when the dead-letter destination cannot
   * take the copy, the original is requeued instead.
   */
  async deadLetter(failure: DeliveryFailure): Promise<DeadLetterOutcome> {
    this.claim('dead-lettered');
    const { message } = this.delivery;
    const summary =
      `${failure.kind} failure in ${failure.consumer} on queue "${message.queue}" ` +
      `(message ${message.properties.messageId ?? 'without id'}): ${failure.error.message}`;
    try {
      const outcome = await this.delivery.deadLetter({ headers: buildFailureHeaders(message, failure, this.headerOptions), summary });
      this.observer?.settled(this.delivery, this.consumer, this.attempt, 'dead-lettered', { kind: failure.kind, reason: failure.error.message, outcome });
      return outcome;
    } finally {
      this.finish();
    }
  }

  /** Sends the message on a delayed retry; `schedule` publishes the copy and acks the original. */
  async retry<T>(schedule: () => Promise<T>): Promise<T> {
    this.claim('retried');
    try {
      return await schedule();
    } finally {
      this.finish();
    }
  }

  private finish(): void {
    this.finished = true;
    this.resolveDone?.();
  }

  private claim(next: SettlementState): void {
    if (this.current !== 'pending') {
      throw new MessageAlreadySettledError(this.delivery.message.properties.messageId, this.current);
    }
    this.current = next;
  }

  private warnIfStale(sent: boolean): void {
    if (!sent) {
      new Logger('Messaging').warn(
        `Message ${this.delivery.message.properties.messageId ?? '(no id)'} on "${this.delivery.message.queue}" was settled ` +
          'after its channel closed; the broker will deliver it again.',
      );
    }
  }
}
