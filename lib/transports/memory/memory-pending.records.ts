import { messageSnapshot, parsePayload } from './memory.message.js';
import type { AckedRecord, DeadLetteredRecord, DeliveredRecord, MessageSnapshot, NackedRecord, PublishedRecord } from './memory-record.types.js';

/** The message fields a record copies: references to the broker's own, never-mutated copies. */
export type RecordedMessage = Pick<MessageSnapshot, 'exchange' | 'routingKey' | 'properties' | 'body'>;

/** Clock reading the record times are kept relative to. */
const LOADED_AT = Date.now();

/**
 * A record as taken: references and the clock reading, one object. Copying the message, parsing its
 * payload and making the `Date` wait until someone reads the records, so a busy transport that nobody
 * inspects pays little per record (records it keeps outlive many scavenges, so every object counts). The
 * broker never mutates a body or properties it holds (dead-lettering builds new properties), so building
 * later yields the same record as building at once.
 */
export abstract class PendingRecord {
  // Milliseconds since the module loaded rather than since the epoch: a small integer is stored in the
  // object itself, where an epoch reading would be one more heap number per record to keep and scavenge.
  private readonly sinceLoad = Date.now() - LOADED_AT;

  /** When the record was taken. */
  protected get at(): number {
    return LOADED_AT + this.sinceLoad;
  }

  /** The record as the assertion API shows it. */
  abstract build(): object;
}

/** A publish that reached the broker. */
export class PendingPublish extends PendingRecord {
  // The message's fields are held directly, not as one object: one object less kept per record.
  private readonly exchange: string;
  private readonly routingKey: string;
  private readonly body: Buffer;
  private readonly properties: RecordedMessage['properties'];

  constructor(
    message: RecordedMessage,
    private readonly mandatory: boolean,
    private readonly routedQueues: readonly string[],
    private readonly outcome: PublishedRecord['outcome'],
    private readonly error: Error | undefined,
  ) {
    super();
    this.exchange = message.exchange;
    this.routingKey = message.routingKey;
    this.body = message.body;
    this.properties = message.properties;
  }

  build(): PublishedRecord {
    const { exchange, routingKey, body, properties, mandatory, routedQueues, outcome, error } = this;
    return { ...messageSnapshot({ exchange, routingKey, body, properties }), mandatory, routedQueues: [...routedQueues], outcome, ...(error ? { error } : {}), time: new Date(this.at) };
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
    return { ...this.fields, routedQueues: [...this.fields.routedQueues], body: Buffer.from(this.body), payload: parsePayload(this.body), time: new Date(this.at) };
  }
}
