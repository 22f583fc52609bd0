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
  private readonly logger = new Logger('Messaging');
  private current: SettlementState = 'pending';
  private resolveDone!: () => void;
  /** Resolves once the delivery is settled, however that happened. */
  readonly done = new Promise<void>((resolve) => (this.resolveDone = resolve));

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

  /** The settlement so far. */
  get state(): SettlementState {
    return this.current;
  }

  /** Acknowledges the delivery. */
  ack(): void {
    this.claim('acked');
    this.warnIfStale(this.delivery.ack());
    this.observer?.settled(this.delivery, this.consumer, this.attempt, 'acked');
    this.resolveDone();
  }

  /** Negatively acknowledges; `requeue: false` lets the broker dead-letter it (without a recorded reason). */
  nack(requeue: boolean): void {
    this.claim(requeue ? 'requeued' : 'nacked');
    this.warnIfStale(this.delivery.nack(requeue));
    this.observer?.settled(this.delivery, this.consumer, this.attempt, this.current);
    this.resolveDone();
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
      this.resolveDone();
    }
  }

  /** Sends the message on a delayed retry; `schedule` publishes the copy and acks the original. */
  async retry<T>(schedule: () => Promise<T>): Promise<T> {
    this.claim('retried');
    try {
      return await schedule();
    } finally {
      this.resolveDone();
    }
  }

  private claim(next: SettlementState): void {
    if (this.current !== 'pending') {
      throw new MessageAlreadySettledError(this.delivery.message.properties.messageId, this.current);
    }
    this.current = next;
  }

  private warnIfStale(sent: boolean): void {
    if (!sent) {
      this.logger.warn(
        `Message ${this.delivery.message.properties.messageId ?? '(no id)'} on "${this.delivery.message.queue}" was settled ` +
          'after its channel closed; the broker will deliver it again.',
      );
    }
  }
}
