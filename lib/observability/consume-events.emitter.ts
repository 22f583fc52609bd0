import type { SettlementState } from '../consumer/delivery.settlement.js';
import type { FailureKind } from '../consumer/delivery-failure.types.js';
import type { DeadLetterOutcome, TransportDelivery } from '../transports/transport.interface.js';
import type { MessagingEventBus } from './messaging-event.bus.js';
import type { ConsumedMessageInfo } from './messaging-events.types.js';

/** What a dead-letter settlement reports. */
export interface DeadLetterDetail {
  readonly kind: FailureKind;
  readonly reason: string;
  readonly outcome: DeadLetterOutcome;
}

/** Told about every settlement, so the consume events can be emitted from one place. */
export interface SettlementObserver {
  settled(delivery: TransportDelivery, consumer: string, attempt: number, state: SettlementState, deadLetter?: DeadLetterDetail): void;
}

const CONSUME_EVENTS = ['message.received', 'message.handled', 'message.acked', 'message.nacked', 'message.retried', 'message.dead-lettered'] as const;

/** The description of a delivery that consume events carry. */
export function consumedMessageInfo(delivery: TransportDelivery, consumer: string, attempt: number): ConsumedMessageInfo {
  const { message } = delivery;
  const { properties } = message;
  return {
    queue: message.queue,
    consumer,
    messageId: properties.messageId,
    type: properties.type,
    correlationId: properties.correlationId,
    exchange: message.exchange,
    routingKey: message.routingKey,
    attempt,
    redelivered: message.redelivered,
    bodyBytes: message.body.length,
    headers: properties.headers,
  };
}

/**
 * Emits the consume events of one queue's dispatcher. Every method is a no-op unless someone listens to
 * that event, so a consumer nobody observes pays one map lookup per event and allocates nothing.
 */
export class ConsumeEvents implements SettlementObserver {
  constructor(private readonly bus: MessagingEventBus) {}

  /** Whether any consume event has a listener right now. */
  get observed(): boolean {
    return !this.bus.silent && CONSUME_EVENTS.some((event) => this.bus.listens(event));
  }

  received(delivery: TransportDelivery, consumer: string): void {
    if (this.bus.listens('message.received')) this.bus.emit('message.received', { message: consumedMessageInfo(delivery, consumer, delivery.attempt) });
  }

  handled(delivery: TransportDelivery, consumer: string, attempt: number, durationMs: number, outcome: SettlementState, error?: Error): void {
    if (!this.bus.listens('message.handled')) return;
    this.bus.emit('message.handled', { message: consumedMessageInfo(delivery, consumer, attempt), durationMs, outcome, ...(error ? { error } : {}) });
  }

  retried(delivery: TransportDelivery, consumer: string, attempt: number, delayMs: number, error: Error): void {
    if (this.bus.listens('message.retried')) this.bus.emit('message.retried', { message: consumedMessageInfo(delivery, consumer, attempt), delayMs, attempt, error });
  }

  settled(delivery: TransportDelivery, consumer: string, attempt: number, state: SettlementState, deadLetter?: DeadLetterDetail): void {
    if (state === 'acked') {
      if (this.bus.listens('message.acked')) this.bus.emit('message.acked', { message: consumedMessageInfo(delivery, consumer, attempt) });
    } else if (state === 'requeued' || state === 'nacked') {
      if (this.bus.listens('message.nacked')) this.bus.emit('message.nacked', { message: consumedMessageInfo(delivery, consumer, attempt), requeue: state === 'requeued' });
    } else if (state === 'dead-lettered' && deadLetter) {
      if (this.bus.listens('message.dead-lettered')) this.bus.emit('message.dead-lettered', { message: consumedMessageInfo(delivery, consumer, attempt), ...deadLetter });
    }
  }
}
