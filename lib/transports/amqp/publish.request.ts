import { PublishNackedError, UnroutableMessageError } from '../../errors/index.js';
import type { OutboundMessage } from '../transport.interface.js';
import type { AmqpPublishOptions } from './amqp-connection.types.js';
import type { BufferLinks } from './publish.buffer.js';
import type { DeadlineLinks } from './publish-deadline.list.js';

/**
 * Header stamped on every published message with an id unique to the publish (kept across re-sends):
 * it correlates a `basic.return` with its publish. It stays on the delivered message; consumers may
 * ignore it.
 */
export const PUBLISH_ID_HEADER = 'x-publish-id';

/** What a request in flight is in flight on: the channel session waiting for the broker's answer to it. */
export interface PublishFlight {
  /**
   * The request's deadline passed while the broker still holds it: it stays in flight (counted against
   * the channel's window, amqplib keeps its body) until the broker answers or the channel closes.
   */
  holdTimedOut(request: PublishRequest): void;
}

/** Who keeps the books of a request's life: told once, as it settles, before its caller hears of it. */
export interface PublishRequestOwner {
  settled(request: PublishRequest): void;
}

/**
 * Where a publish is: waiting for room in a full buffer (no slot yet), waiting for a channel, sent and
 * waiting for its confirm, or done.
 */
export type PublishPhase = 'waiting' | 'buffered' | 'unconfirmed' | 'settled';

/**
 * One `publish()` call from acceptance to settlement. It may be sent more than once: a message whose
 * channel died before the broker confirmed it goes back to the buffer and is sent again.
 */
export class PublishRequest implements BufferLinks<PublishRequest>, DeadlineLinks<PublishRequest> {
  prevInBuffer: PublishRequest | undefined;
  nextInBuffer: PublishRequest | undefined;
  inBuffer = false;
  deadlineAt = 0;
  prevByDeadline: PublishRequest | undefined;
  nextByDeadline: PublishRequest | undefined;
  tracked = false;
  /**
   * The channel session this request is currently in flight on; a confirm arriving from any other
   * session (an earlier, dead one) is stale and ignored. A request that timed out in flight keeps it
   * (while settled) until the broker answers or the channel closes.
   */
  flight: PublishFlight | undefined;
  /**
   * The publisher slot the key is pinned to while this request is outstanding; -1 until the request is
   * admitted (a send waiting for room in a full buffer has no slot yet).
   */
  slot = -1;
  /** The broker's reason if it blocked the connection when the publish was made (see `timeoutUnderBlock`). */
  blockedAtPublish: string | undefined = undefined;
  /** True once the request carries the `x-publish-id` header (see `ConfirmChannelSession.send`). */
  tagged = false;
  private settled = false;

  constructor(
    /** Global acceptance order; re-sends keep it so they go out in the original order. */
    readonly seq: number,
    /** The pool's prefix of {@link publishId}; the id itself is built only for the rare request that needs it. */
    private readonly publishIdPrefix: string,
    readonly message: OutboundMessage,
    readonly options: AmqpPublishOptions & { messageId: string },
    /** Messages with the same key go out on one publisher slot, in `seq` order. */
    readonly orderingKey: string,
    /** Told first when the request settles (shared by all requests of a pool: no closure per request). */
    private readonly owner: PublishRequestOwner,
    private readonly resolve: () => void,
    private readonly reject: (error: Error) => void,
  ) {}

  /**
   * Unique per publish, for matching a `basic.return` when the messageId cannot: it travels in the
   * `x-publish-id` header only when another publish in flight on the same channel shares the messageId.
   * Built on demand: a string per publish would be garbage in the common case, where it is never sent.
   */
  get publishId(): string {
    return `${this.publishIdPrefix}.${this.seq}`;
  }

  /** Puts {@link publishId} in the `x-publish-id` header, for a channel where its messageId is not unique. */
  tag(): void {
    if (this.tagged) return;
    this.options.headers = { ...this.options.headers, [PUBLISH_ID_HEADER]: this.publishId };
    this.tagged = true;
  }

  /** True once the caller has its answer (a request that timed out in flight may still be held by the broker). */
  get isSettled(): boolean {
    return this.settled;
  }

  get phase(): PublishPhase {
    if (this.settled) return 'settled';
    if (this.flight !== undefined) return 'unconfirmed';
    return this.slot < 0 ? 'waiting' : 'buffered';
  }

  /** Settles on the broker's answer: a nack, a return (the reply text) followed by its ack, or a plain ack. */
  settleConfirmed(nacked: boolean, returnedWith: string | undefined): void {
    const { exchange, routingKey } = this.message;
    if (nacked) this.fail(new PublishNackedError(exchange, routingKey));
    else if (returnedWith !== undefined) this.fail(new UnroutableMessageError(exchange, routingKey, returnedWith));
    else this.succeed();
  }

  succeed(): void {
    if (!this.finish()) return;
    this.owner.settled(this);
    this.resolve();
  }

  fail(error: Error): void {
    if (!this.finish()) return;
    this.owner.settled(this);
    this.reject(error);
  }

  private finish(): boolean {
    if (this.settled) return false;
    this.settled = true;
    return true;
  }
}
