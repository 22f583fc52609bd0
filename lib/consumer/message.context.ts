import type { DeadLetterOutcome, HeaderValue, InboundMessage, MessageProperties } from '../transports/transport.interface.js';
import { RetryUnavailableError } from '../errors/index.js';
import type { RetryOutcome } from '../retry/retry.scheduler.js';
import type { DeliverySettlement, SettlementState } from './delivery.settlement.js';
import type { InboxClaim } from '../idempotency/inbox.claim.js';

/**
 * How the idempotent consumer hands a {@link MessageContext} its inbox claim. A symbol, not exported from the
 * package, so the claim is readable (`ctx.inbox`) but only the SDK can set it.
 */
export const ATTACH_INBOX_CLAIM: unique symbol = Symbol('attachInboxClaim');

/** Options of {@link MessageContext.nack}. */
export interface NackOptions {
  /** Put the message back in the queue (default `true`); `false` lets the broker dead-letter it. */
  readonly requeue?: boolean;
}

/** Delivery facts a {@link MessageContext} exposes beyond the message itself. */
export interface MessageContextDelivery {
  /** Which delivery of the message this is, from 1. */
  readonly attempt: number;
  /** Aborts when the delivery goes stale. */
  readonly signal: AbortSignal;
  /** Schedules a delayed retry; absent when the consumer has no delayed retries configured. */
  readonly retry?: (delayMs: number | undefined) => Promise<RetryOutcome>;
}

/** Options of {@link MessageContext.retry}. */
export interface RetryOptions {
  /** How long to wait; default: the consumer's retry policy's next delay. */
  readonly delayMs?: number;
}

/**
 * Everything about the message being handled besides its payload, and the calls that settle it.
 * In `auto` ack mode settling is optional: an explicit call wins over the automatic one.
 */
export class MessageContext<TPayload = unknown> {
  private combinedSignal: AbortSignal | undefined;
  private inboxClaim: InboxClaim | undefined;

  constructor(
    /** The validated payload, as the handler also receives it. */
    readonly payload: TPayload,
    /** The message as the transport delivered it (body, properties, raw transport object). */
    readonly message: InboundMessage,
    /** Name of the contract the payload was validated against. */
    readonly contract: string,
    /** Name of the consumer handling it (`Class.method` unless configured). */
    readonly consumer: string,
    private readonly settlement: DeliverySettlement,
    private readonly delivery: MessageContextDelivery = { attempt: message.redelivered ? 2 : 1, signal: new AbortController().signal },
    private readonly shutdown?: AbortSignal,
  ) {}

  /**
   * Which delivery of this message this is, from 1: the broker's count where it keeps one (quorum
   * queues, on a redelivery), plus the retries the SDK recorded on a message back from its delay line; a
   * redelivery counts as one more on a classic queue. Headers a producer set count for nothing.
   */
  get attempt(): number {
    return this.delivery.attempt;
  }

  /**
   * Aborts when the handler's work is no longer wanted: the delivery went stale (its channel closed, so
   * the broker will deliver the message again) or the shutdown timeout passed. Pass it to cancellable
   * work (`fetch`, database drivers) so an abandoned message stops consuming resources.
   */
  get signal(): AbortSignal {
    // Combined on first use only: most handlers never look at it.
    this.combinedSignal ??= this.shutdown ? AbortSignal.any([this.delivery.signal, this.shutdown]) : this.delivery.signal;
    return this.combinedSignal;
  }

  /** The message id set by the producer, if any. */
  get messageId(): string | undefined {
    return this.message.properties.messageId;
  }

  /** Correlation id, used to tie a conversation of messages together. */
  get correlationId(): string | undefined {
    return this.message.properties.correlationId;
  }

  /** Application headers. */
  get headers(): Readonly<Record<string, HeaderValue>> {
    return this.message.properties.headers ?? {};
  }

  /** All message properties. */
  get properties(): Readonly<MessageProperties> {
    return this.message.properties;
  }

  /** True when the broker delivered this message before; handlers should be idempotent for it. */
  get redelivered(): boolean {
    return this.message.redelivered;
  }

  /** The queue the message was consumed from. */
  get queue(): string {
    return this.message.queue;
  }

  /** The transport's own message object (amqplib's `ConsumeMessage` on AMQP). */
  get raw(): unknown {
    return this.message.raw;
  }

  /**
   * The inbox claim of an idempotent consumer's message (`undefined` otherwise, and for a message without a
   * `messageId`): its `key` and `token`, and `commit()` / `release()` to decide before the handler returns,
   * e.g. `commit(transaction)` inside the application's own database transaction. See `InboxClaim`.
   */
  get inbox(): InboxClaim | undefined {
    return this.inboxClaim;
  }

  /** Set by the idempotent consumer before guards, interceptors and the handler run. */
  [ATTACH_INBOX_CLAIM](claim: InboxClaim): void {
    this.inboxClaim = claim;
  }

  /** How the message has been settled so far. */
  get settlementState(): SettlementState {
    return this.settlement.state;
  }

  /** Acknowledges the message. Throws `MessageAlreadySettledError` if it was already settled. */
  ack(): void {
    this.settlement.ack();
  }

  /** Negatively acknowledges the message; requeued unless `requeue: false`. */
  nack(options: NackOptions = {}): void {
    this.settlement.nack(options.requeue ?? true);
  }

  /**
   * Refuses the message for good: it goes to the queue's dead-letter exchange with `reason` recorded in
   * its `x-failure-*` headers. Resolves once the dead-letter copy is confirmed, with where the message
   * went (`requeued` when the dead-letter destination could not take it: it is never lost).
   */
  reject(reason: string | Error = 'rejected by consumer'): Promise<DeadLetterOutcome> {
    const error = typeof reason === 'string' ? new Error(reason) : reason;
    return this.settlement.deadLetter({ kind: 'rejected', error, consumer: this.consumer });
  }

  /**
   * Settles the message by sending it on a delayed retry, for handlers that decide for themselves (e.g. a
   * manual-ack handler told "try later" by a downstream service): a copy waits in the delay line and comes
   * back to this queue, counted as one more attempt; the original is acked once the copy is confirmed.
   * Needs delayed retries in the consumer's retry policy (which declares the delay line).
   *
   * @throws RetryUnavailableError when the consumer has no delayed retries configured.
   * @throws RetryDelayTooLongError when `delayMs` is longer than the declared delay line expresses
   * (`retryDelayLine.maxDelayMs`); the message is left unsettled.
   */
  retry(options: RetryOptions = {}): Promise<RetryOutcome> {
    const retry = this.delivery.retry;
    if (!retry) return Promise.reject(new RetryUnavailableError(this.consumer));
    return retry(options.delayMs);
  }
}
