import { RingDeque } from '../../common/index.js';
import { messageSnapshot, parsePayload } from './memory.message.js';
import type { MemoryRecords, MessageSnapshot } from './memory-record.types.js';

type RecordKind = keyof MemoryRecords;
type RecordOf<K extends RecordKind> = MemoryRecords[K][number];

/** The message fields a record copies: references to the broker's own, never-mutated copies. */
export type RecordedMessage = Pick<MessageSnapshot, 'exchange' | 'routingKey' | 'properties' | 'body'>;

/** A record's fields besides the message copy, the parsed payload and the time. */
export type RecordFields<K extends RecordKind> = Omit<RecordOf<K>, keyof MessageSnapshot | 'time'>;

/**
 * A record as taken: references and the clock reading. Copying the message, parsing its payload and
 * making the `Date` wait until someone reads the records, so a busy transport that nobody inspects
 * pays one small object per record. The broker never mutates a body or properties it holds (dead-
 * lettering builds new properties), so building later yields the same record as building now.
 */
class PendingRecord {
  constructor(
    readonly fields: object,
    /** For message-snapshot records; absent for dead-letter records, whose properties are in `fields`. */
    readonly message: RecordedMessage | undefined,
    readonly body: Buffer,
    readonly at: number,
  ) {}

  build(): object {
    const copied = this.message ? messageSnapshot(this.message) : { body: Buffer.from(this.body), payload: parsePayload(this.body) };
    return { ...copied, ...this.fields, time: new Date(this.at) };
  }
}

/**
 * Keeps the assertion records. Each kind is capped because the same transport runs embedded in
 * long-lived apps, where an unbounded history would be a memory leak; the oldest records go first, out
 * of a ring buffer (O(1) per record however large the cap).
 */
export class MemoryRecorder {
  private lists = MemoryRecorder.empty();

  /** @param limit Maximum records kept per kind; `0` records nothing. */
  constructor(private readonly limit: number) {}

  /** Whether recording is on; lets callers skip building records nobody keeps. */
  get enabled(): boolean {
    return this.limit > 0;
  }

  /**
   * Records a publish, delivery, ack or nack of `message`: its exchange, routing key, properties and
   * body (copied, with the payload parsed, when read), plus `fields`.
   */
  record<K extends Exclude<RecordKind, 'deadLettered'>>(kind: K, message: RecordedMessage, fields: RecordFields<K>): void {
    if (this.limit <= 0) return;
    this.push(this.lists[kind], new PendingRecord(fields, message, message.body, Date.now()));
  }

  /** Records a broker-side dead-lettering (or discard); the body is copied and parsed when read. */
  deadLettered(fields: Omit<RecordOf<'deadLettered'>, 'body' | 'payload' | 'time'>, body: Buffer): void {
    if (this.limit <= 0) return;
    this.push(this.lists.deadLettered, new PendingRecord(fields, undefined, body, Date.now()));
  }

  /** Copies of the record lists, so a caller holding them never sees later records appear. */
  snapshot(): MemoryRecords {
    return {
      published: this.read('published'),
      delivered: this.read('delivered'),
      acked: this.read('acked'),
      nacked: this.read('nacked'),
      deadLettered: this.read('deadLettered'),
    };
  }

  /** One-line summary for timeout messages. */
  summary(): string {
    const r = this.lists;
    return `published ${r.published.length}, delivered ${r.delivered.length}, acked ${r.acked.length}, nacked ${r.nacked.length}, dead-lettered ${r.deadLettered.length}`;
  }

  /** Forgets every record. */
  clear(): void {
    this.lists = MemoryRecorder.empty();
  }

  /** Builds the pending records of a kind (once: the built one replaces it) and returns the list. */
  private read<K extends RecordKind>(kind: K): RecordOf<K>[] {
    const list = this.lists[kind];
    for (let i = 0; i < list.length; i++) {
      const entry = list.at(i);
      if (entry instanceof PendingRecord) list.set(i, entry.build());
    }
    return list.toArray() as RecordOf<K>[];
  }

  private push(list: RingDeque<object>, record: object): void {
    list.push(record);
    if (list.length > this.limit) list.shift();
  }

  private static empty(): Record<RecordKind, RingDeque<object>> {
    return { published: new RingDeque(), delivered: new RingDeque(), acked: new RingDeque(), nacked: new RingDeque(), deadLettered: new RingDeque() };
  }
}
