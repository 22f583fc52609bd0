import type { AmqpChannelLike, AmqpDeliveredMessage } from './amqp-connection.types.js';

/** One delivery of the channel not yet settled with the broker. */
export interface CoalescedAck {
  readonly message: AmqpDeliveredMessage;
  /** `pending`: not settled yet; `acked`: acked locally, the broker has not been told yet. */
  state: 'pending' | 'acked';
  prev: CoalescedAck | undefined;
  next: CoalescedAck | undefined;
}

/**
 * Coalesces the acks of one consumer channel: the acks of a contiguous run of deliveries, oldest first,
 * go out as one `basic.ack(multiple)` on the last tag of the run, at the end of the I/O turn or as soon
 * as the run reaches `maxRun`. A multi-ack covers every unsettled tag up to it, so a run stops at the
 * first delivery still pending; acks stuck behind one (out-of-order completion) are sent one by one at
 * the end of the turn rather than held, since each holds a prefetch slot. A nack first sends every
 * waiting ack, then goes out alone, so it is never folded into a multi-ack.
 *
 * Delivery tags mean something only on their own channel: when it closes, {@link drop} forgets what is
 * waiting (the broker requeues those messages; at-least-once) and nothing is ever sent on another channel.
 */
export class AckCoalescer {
  /** Oldest delivery not settled with the broker, in delivery-tag order. */
  private head: CoalescedAck | undefined;
  private tail: CoalescedAck | undefined;
  /** Last entry of the run of acked deliveries that starts at {@link head}, if the head is acked. */
  private runTail: CoalescedAck | undefined;
  private runLength = 0;
  /** Acked deliveries behind a pending one. */
  private stragglers = 0;
  private scheduled: NodeJS.Immediate | undefined;
  private dropped = false;

  /** `maxRun`: a run this long is sent at once, so the broker can refill the prefetch window mid-turn. */
  constructor(
    private readonly channel: AmqpChannelLike,
    private readonly maxRun: number,
  ) {}

  /** Registers a delivery, in arrival order (which is delivery-tag order on one channel). */
  track(message: AmqpDeliveredMessage): CoalescedAck {
    const entry: CoalescedAck = { message, state: 'pending', prev: this.tail, next: undefined };
    if (this.tail) this.tail.next = entry;
    else this.head = entry;
    this.tail = entry;
    return entry;
  }

  /**
   * Acks a delivery: sent with its run, or alone at the end of the turn.
   * @throws whatever amqplib throws when the channel is closing (the caller treats it as a dead channel).
   */
  ack(entry: CoalescedAck): void {
    if (this.dropped || entry.state !== 'pending') return;
    entry.state = 'acked';
    if (entry.prev === this.runTail) {
      this.extendRun(entry);
      if (this.runLength >= this.maxRun) this.sendOrDrop(() => this.sendRun());
    } else {
      this.stragglers++;
    }
    this.schedule();
  }

  /**
   * Sends every waiting ack, then the nack of this delivery on its own.
   * @throws whatever amqplib throws when the channel is closing.
   */
  nack(entry: CoalescedAck, requeue: boolean): void {
    if (this.dropped || entry.state !== 'pending') return;
    this.flush();
    if (this.dropped) throw new Error('Channel closed');
    this.unlink(entry);
    this.sendOrDrop(() => this.channel.nack(entry.message, false, requeue));
  }

  /** Sends every waiting ack now (cancel, close, before a nack). Never throws: a dead channel drops them. */
  flush(): void {
    this.cancelSchedule();
    if (this.dropped) return;
    try {
      this.sendOrDrop(() => {
        if (this.runTail) this.sendRun();
        if (this.stragglers > 0) this.sendStragglers();
      });
    } catch {
      // Nobody to tell: the messages go back to the queue with the channel.
    }
  }

  /** The channel closed: forget everything, send nothing more. */
  drop(): void {
    this.dropped = true;
    this.cancelSchedule();
    this.head = this.tail = this.runTail = undefined;
    this.runLength = this.stragglers = 0;
  }

  /** Acks waiting to be sent (for tests and stats). */
  get waiting(): number {
    return this.runLength + this.stragglers;
  }

  /** amqplib throws once the channel is closing, before its close event: drop everything then. */
  private sendOrDrop(send: () => void): void {
    try {
      send();
    } catch (error) {
      this.drop();
      throw error;
    }
  }

  private extendRun(entry: CoalescedAck): void {
    this.runTail = entry;
    this.runLength++;
    // Stragglers right behind it join the run now that the gap before them closed.
    let next = entry.next;
    while (next?.state === 'acked') {
      this.runTail = next;
      this.runLength++;
      this.stragglers--;
      next = next.next;
    }
  }

  private sendRun(): void {
    const last = this.runTail;
    if (!last) return;
    // Unlinked first: if ack throws, the channel is closing and everything is dropped anyway.
    this.head = last.next;
    if (this.head) this.head.prev = undefined;
    else this.tail = undefined;
    this.runTail = undefined;
    const single = this.runLength === 1;
    this.runLength = 0;
    this.channel.ack(last.message, !single);
  }

  private sendStragglers(): void {
    for (let entry = this.head; entry && this.stragglers > 0; ) {
      const next = entry.next;
      if (entry.state === 'acked') {
        this.unlink(entry);
        this.stragglers--;
        this.channel.ack(entry.message, false);
      }
      entry = next;
    }
  }

  private unlink(entry: CoalescedAck): void {
    if (entry.prev) entry.prev.next = entry.next;
    else this.head = entry.next;
    if (entry.next) entry.next.prev = entry.prev;
    else this.tail = entry.prev;
    entry.prev = entry.next = undefined;
  }

  private schedule(): void {
    if (this.scheduled || this.waiting === 0) return;
    // End of the I/O turn: every delivery of a socket read that completed synchronously shares one ack.
    this.scheduled = setImmediate(() => {
      this.scheduled = undefined;
      this.flush();
    });
  }

  private cancelSchedule(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
  }
}
