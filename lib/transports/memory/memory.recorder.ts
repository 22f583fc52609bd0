import { RingDeque } from '../../common/index.js';
import { PendingRecord } from './memory-pending.records.js';
import type { MemoryRecords } from './memory-record.types.js';

type RecordKind = keyof MemoryRecords;
type RecordOf<K extends RecordKind> = MemoryRecords[K][number];

/**
 * Keeps the assertion records. Each kind is capped because the same transport runs embedded in
 * long-lived apps, where an unbounded history would be a memory leak; the oldest records go first, out
 * of a ring buffer (O(1) per record however large the cap). Records are taken as {@link PendingRecord}s
 * and built when first read.
 */
export class MemoryRecorder {
  private lists = MemoryRecorder.empty();

  /** @param limit Maximum records kept per kind; `0` records nothing. */
  constructor(private readonly limit: number) {}

  /** Whether recording is on; callers skip taking records nobody keeps. */
  get enabled(): boolean {
    return this.limit > 0;
  }

  /** Keeps a record of `kind`, dropping the oldest of that kind past the cap. */
  record(kind: RecordKind, record: PendingRecord): void {
    if (this.limit <= 0) return;
    const list = this.lists[kind];
    list.push(record);
    if (list.length > this.limit) list.shift();
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

  private static empty(): Record<RecordKind, RingDeque<object>> {
    return { published: new RingDeque(), delivered: new RingDeque(), acked: new RingDeque(), nacked: new RingDeque(), deadLettered: new RingDeque() };
  }
}
