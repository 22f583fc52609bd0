import { messageSnapshot, parsePayload } from './memory.message.js';
import type { AckedRecord, DeadLetteredRecord, DeliveredRecord, MessageSnapshot, NackedRecord, PublishedRecord } from './memory-record.types.js';

/** The message fields a record copies: references to the broker's own, never-mutated copies. */
export type RecordedMessage = Pick<MessageSnapshot, 'exchange' | 'routingKey' | 'properties' | 'body'>;

/**
 * A record as taken: references and the clock reading, one object. Copying the message, parsing its
 * payload and making the `Date` wait until someone reads the records, so a busy transport that nobody
 * inspects pays little per record (records it keeps outlive many scavenges, so every object counts). The
 * broker never mutates a body or properties it holds (dead-lettering builds new properties), so building
 * later yields the same record as building at once.
 */
export abstract class PendingRecord {
  protected readonly at = Date.now();

  /** The record as the assertion API shows it. */
  abstract build(): object;
}

/** A publish that reached the broker. */
export class PendingPublish extends PendingRecord {
  constructor(
    private readonly message: RecordedMessage,
    private readonly mandatory: boolean,
    private readonly routedQueues: readonly string[],
    private readonly outcome: PublishedRecord['outcome'],
    private readonly error: Error | undefined,
  ) {
    super();
  }

  build(): PublishedRecord {
    const { mandatory, routedQueues, outcome, error } = this;
    return { ...messageSnapshot(this.message), mandatory, routedQueues, outcome, ...(error ? { error } : {}), time: new Date(this.at) };
  }
}

/** A delivery handed over, acked or nacked: `flag` is `redelivered` for the first, `requeue` for a nack. */
export class PendingDelivery extends PendingRecord {
  constructor(
    private readonly kind: 'delivered' | 'acked' | 'nacked',
    private readonly message: RecordedMessage,
    private readonly queue: string,
    private readonly consumerName: string,
    private readonly consumerTag: string,
    private readonly deliveryTag: number,
    private readonly flag: boolean,
  ) {
    super();
  }

  build(): DeliveredRecord | AckedRecord | NackedRecord {
    const { queue, consumerName, consumerTag, deliveryTag } = this;
    const base = { ...messageSnapshot(this.message), queue, consumerName, consumerTag, deliveryTag, time: new Date(this.at) };
    if (this.kind === 'delivered') return { ...base, redelivered: this.flag };
    return this.kind === 'nacked' ? { ...base, requeue: this.flag } : base;
  }
}

/** A broker-side dead-lettering (or discard). */
export class PendingDeadLetterRecord extends PendingRecord {
  constructor(
    private readonly fields: Omit<DeadLetteredRecord, 'body' | 'payload' | 'time'>,
    private readonly body: Buffer,
  ) {
    super();
  }

  build(): DeadLetteredRecord {
    return { ...this.fields, body: Buffer.from(this.body), payload: parsePayload(this.body), time: new Date(this.at) };
  }
}
