import { DELIVERY_LAYOUTS, PUBLISH_LAYOUT, recordClock, type RecordedMessage } from './memory-pending.records.js';
import { RecordRing, type RecordLayout } from './memory-record.ring.js';
import type { MemoryRecords, PublishOutcome } from './memory-record.types.js';
import type { MessageProperties } from '../transport.interface.js';

type RecordKind = keyof MemoryRecords;
type RecordOf<K extends RecordKind> = MemoryRecords[K][number];

/**
 * Keeps the assertion records. Each kind is capped because the same transport runs embedded in
 * long-lived apps, where an unbounded history would be a memory leak; the oldest records go first, out
 * of a ring buffer (O(1) per record however large the cap). Records are taken as references in a
 * {@link RecordRing} and built when first read.
 */
export class MemoryRecorder {
  private lists: Record<RecordKind, RecordRing>;

  /** @param limit Maximum records kept per kind; `0` records nothing. */
  constructor(private readonly limit: number) {
    this.lists = this.empty();
  }

  /** Whether recording is on; callers skip taking records nobody keeps. */
  get enabled(): boolean {
    return this.limit > 0;
  }

  /** Keeps a record of `kind` that builds itself, dropping the oldest of that kind past the cap. */
  record(kind: RecordKind, record: RecordLayout): void {
    if (this.limit > 0) this.lists[kind].push(record);
  }

  /** Keeps a publish record (references to the broker's copies, which it never mutates) taken at `now` (epoch ms). */
  recordPublish(
    exchange: string,
    routingKey: string,
    body: Buffer,
    properties: MessageProperties,
    mandatory: boolean,
    routedQueues: readonly string[],
    outcome: PublishOutcome,
    error: Error | undefined,
    now: number,
  ): void {
    if (this.limit <= 0) return;
    this.lists.published.push(PUBLISH_LAYOUT, exchange, routingKey, body, properties, mandatory, routedQueues, outcome, error, recordClock(now));
  }

  /**
   * Keeps a delivery, ack or nack record; `flag` is `redelivered` for a delivery and `requeue` for a
   * nack. `message` must not change afterwards (the broker's stored copy qualifies).
   */
  recordDelivery(kind: 'delivered' | 'acked' | 'nacked', message: RecordedMessage, queue: string, consumerName: string, consumerTag: string, deliveryTag: number, flag: boolean): void {
    if (this.limit <= 0) return;
    this.lists[kind].push(DELIVERY_LAYOUTS[kind], message, queue, consumerName, consumerTag, deliveryTag, flag, recordClock());
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
    this.lists = this.empty();
  }

  /** The records of a kind, built on first read. */
  private read<K extends RecordKind>(kind: K): RecordOf<K>[] {
    return this.lists[kind].read() as RecordOf<K>[];
  }

  private empty(): Record<RecordKind, RecordRing> {
    const ring = () => new RecordRing(Math.max(1, this.limit));
    return { published: ring(), delivered: ring(), acked: ring(), nacked: ring(), deadLettered: ring() };
  }
}
