import type { AmqpConfirmChannelLike, AmqpReturnedMessage } from './amqp-connection.types.js';
import { PUBLISH_ID_HEADER, type PublishFlight, type PublishRequest } from './publish.request.js';

/** How a {@link ConfirmChannelSession} reports back to the pool that owns it. */
export interface ConfirmSessionEvents {
  /** The broker acked or nacked a request; `returnedWith` is the reply text if it was returned first. */
  confirmed(request: PublishRequest, nacked: boolean, returnedWith: string | undefined): void;
  /**
   * The channel died; `unconfirmed` may or may not have reached a queue. `closeError` is the broker's
   * reason when it closed the channel itself (undefined when the connection dropped).
   */
  died(session: ConfirmChannelSession, unconfirmed: PublishRequest[], closeError: Error | undefined): void;
  /**
   * The broker answered a request that had timed out in flight (see {@link ConfirmChannelSession.holdTimedOut}):
   * its caller already has its answer; only its room on the channel is free now.
   */
  answeredLate(request: PublishRequest): void;
  /** The channel's write buffer drained after `publish` returned false. */
  drained(session: ConfirmChannelSession): void;
}

/**
 * The publish bookkeeping of one confirm channel for its whole life: what is in flight on it, which
 * messages the broker returned, and whether it may take more. Every operation is O(1): the confirm
 * callback carries its request, the in-flight set removes by identity, returns are counted per id.
 */
export class ConfirmChannelSession implements PublishFlight {
  /** In flight, in send order (a Set keeps insertion order and deletes in O(1)). */
  private readonly unconfirmed = new Set<PublishRequest>();
  /**
   * Requests in flight sent without the `x-publish-id` header, by messageId: a return carrying that
   * messageId and no header is theirs. Only a request whose messageId is already here gets the header,
   * so the common case (a fresh UUID per send) encodes no header table at all, which measured about a
   * fifth of raw amqplib's publish rate on a 2-core machine.
   */
  private readonly untagged = new Map<string, PublishRequest>();
  /**
   * Reply texts of returned messages, by the request they belong to, waiting for the ack that follows
   * each return (RabbitMQ sends `basic.return` before the confirm of the same publish).
   */
  private readonly returns = new Map<PublishRequest, string>();
  /** Returns of tagged requests, by the publish id their header carries. */
  private readonly tagged = new Map<string, PublishRequest>();
  /** Requests in flight here that timed out: still counted in {@link load} until answered or abandoned. */
  private heldTimedOut = 0;
  private writable = true;
  private alive = true;
  private closeError: Error | undefined;

  constructor(
    private readonly channel: AmqpConfirmChannelLike,
    private readonly events: ConfirmSessionEvents,
  ) {
    // Prepended so it runs before amqplib fails the pending confirm callbacks with "channel closed":
    // by then the requests are already taken back, and those callbacks are recognised as stale.
    channel.prependListener('close', () => this.onClose());
    // amqplib emits the broker's reason as 'error' just before 'close'.
    channel.on('error', (error) => {
      this.closeError = error;
    });
    channel.on('return', (message) => this.onReturn(message));
    channel.on('drain', () => {
      this.writable = true;
      this.events.drained(this);
    });
  }

  /** Messages sent on this channel and not yet confirmed, those that timed out included. */
  get load(): number {
    return this.unconfirmed.size;
  }

  /** Messages sent on this channel that timed out and the broker has not answered yet (part of {@link load}). */
  get timedOut(): number {
    return this.heldTimedOut;
  }

  /** False from the moment the channel is known to be closing. */
  get isAlive(): boolean {
    return this.alive;
  }

  /** Open, not waiting for `drain`, and under the unconfirmed limit. */
  canSend(maxUnconfirmed: number): boolean {
    return this.alive && this.writable && this.unconfirmed.size < maxUnconfirmed;
  }

  /**
   * Sends the request. `closing` means the channel refused it because it is closing (the request is
   * untouched and can go elsewhere); an Error means this message itself cannot be sent (amqplib could
   * not encode it) and the channel is fine.
   */
  send(request: PublishRequest): 'sent' | 'closing' | Error {
    const { exchange, routingKey, body } = request.message;
    const { messageId } = request.options;
    if (!request.tagged && !this.untagged.has(messageId)) this.untagged.set(messageId, request);
    else request.tag();
    if (request.tagged) this.tagged.set(request.publishId, request);
    request.flight = this;
    this.unconfirmed.add(request);
    let accepted: boolean;
    try {
      accepted = this.channel.publish(exchange, routingKey, body, request.options, (error) =>
        this.onConfirm(request, error),
      );
    } catch (error) {
      this.unconfirmed.delete(request);
      this.untrack(request);
      request.flight = undefined;
      // amqplib throws IllegalOperationError once the channel or connection is closing; its close event
      // follows. Anything else was thrown while encoding, before a byte was written.
      if (error instanceof Error && error.name !== 'IllegalOperationError') return error;
      this.alive = false;
      return 'closing';
    }
    // false means the socket buffer is over its high-water mark: the message is queued, but send no
    // more on this channel until it drains.
    if (!accepted) this.writable = false;
    return 'sent';
  }

  /**
   * The request's deadline passed while it is in flight here. It stays in flight: amqplib keeps its body
   * until the broker answers or the channel closes, so it keeps its room under the unconfirmed limit
   * (freeing it would let a broker that never answers grow memory without bound).
   */
  holdTimedOut(request: PublishRequest): void {
    if (request.flight === this) this.heldTimedOut++;
  }

  /** Sends nothing more here: the channel is being closed on purpose (recycled). */
  retire(): void {
    this.alive = false;
  }

  /**
   * Stops tracking everything in flight and returns it, in send order (the channel closed, or closing
   * gives up waiting); requests that timed out in flight are among them, already settled.
   */
  abandon(): PublishRequest[] {
    const requests = [...this.unconfirmed];
    this.heldTimedOut = 0;
    this.unconfirmed.clear();
    this.untagged.clear();
    this.tagged.clear();
    this.returns.clear();
    for (const request of requests) request.flight = undefined;
    return requests;
  }

  private onConfirm(request: PublishRequest, error: unknown): void {
    // Consumed even for a stale request, so a return never lingers.
    const returnedWith = this.returns.get(request);
    if (returnedWith !== undefined) this.returns.delete(request);
    if (request.flight !== this) return;
    this.unconfirmed.delete(request);
    this.untrack(request);
    request.flight = undefined;
    if (request.isSettled) {
      this.heldTimedOut--;
      this.events.answeredLate(request);
      return;
    }
    this.events.confirmed(request, error !== null && error !== undefined, returnedWith);
  }

  private onReturn(message: AmqpReturnedMessage): void {
    const headers = message.properties.headers;
    const publishId = typeof headers === 'object' && headers !== null ? Reflect.get(headers, PUBLISH_ID_HEADER) : undefined;
    const messageId: unknown = message.properties.messageId;
    const request =
      typeof publishId === 'string'
        ? this.tagged.get(publishId)
        : typeof messageId === 'string'
          ? this.untagged.get(messageId)
          : undefined;
    if (request !== undefined) this.returns.set(request, message.fields.replyText ?? 'NO_ROUTE');
  }

  private untrack(request: PublishRequest): void {
    if (this.untagged.get(request.options.messageId) === request) this.untagged.delete(request.options.messageId);
    if (request.tagged) this.tagged.delete(request.publishId);
  }

  private onClose(): void {
    this.alive = false;
    this.events.died(this, this.abandon(), this.closeError);
  }
}
