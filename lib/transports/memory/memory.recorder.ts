import type {
  AckedRecord,
  DeadLetteredRecord,
  DeliveredRecord,
  MemoryRecords,
  NackedRecord,
  PublishedRecord,
} from './memory-record.types.js';

type MutableRecords = { [K in keyof MemoryRecords]: MemoryRecords[K][number][] };

/**
 * Keeps the assertion records. Each kind is capped because the same transport runs embedded in
 * long-lived apps, where an unbounded history would be a memory leak; the oldest records go first.
 */
export class MemoryRecorder {
  private records: MutableRecords = MemoryRecorder.empty();

  /** @param limit Maximum records kept per kind; `0` records nothing. */
  constructor(private readonly limit: number) {}

  /** Whether recording is on; lets callers skip building records nobody keeps. */
  get enabled(): boolean {
    return this.limit > 0;
  }

  /** Records a publish. */
  published(record: PublishedRecord): void {
    this.push(this.records.published, record);
  }

  /** Records a delivery handed to a handler. */
  delivered(record: DeliveredRecord): void {
    this.push(this.records.delivered, record);
  }

  /** Records an ack. */
  acked(record: AckedRecord): void {
    this.push(this.records.acked, record);
  }

  /** Records a nack. */
  nacked(record: NackedRecord): void {
    this.push(this.records.nacked, record);
  }

  /** Records a broker-side dead-lettering (or discard). */
  deadLettered(record: DeadLetteredRecord): void {
    this.push(this.records.deadLettered, record);
  }

  /** Copies of the record lists, so a caller holding them never sees later records appear. */
  snapshot(): MemoryRecords {
    return {
      published: [...this.records.published],
      delivered: [...this.records.delivered],
      acked: [...this.records.acked],
      nacked: [...this.records.nacked],
      deadLettered: [...this.records.deadLettered],
    };
  }

  /** One-line summary for timeout messages. */
  summary(): string {
    const r = this.records;
    return `published ${r.published.length}, delivered ${r.delivered.length}, acked ${r.acked.length}, nacked ${r.nacked.length}, dead-lettered ${r.deadLettered.length}`;
  }

  /** Forgets every record. */
  clear(): void {
    this.records = MemoryRecorder.empty();
  }

  private push<T>(list: T[], record: T): void {
    if (this.limit <= 0) return;
    list.push(record);
    if (list.length > this.limit) list.splice(0, list.length - this.limit);
  }

  private static empty(): MutableRecords {
    return { published: [], delivered: [], acked: [], nacked: [], deadLettered: [] };
  }
}
