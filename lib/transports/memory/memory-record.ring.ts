/**
 * Makes the assertion record of one entry of a {@link RecordRing} from the values stored for it, which
 * start at `slots[base + 1]` (slot `base` holds the layout itself).
 */
export interface RecordLayout {
  build(slots: readonly unknown[], base: number): object;
}

/** Slots per entry: the layout and up to nine values. */
const WIDTH = 10;

/** Stands in slot `base` of an entry that was built; the built record is in slot `base + 1`. */
const BUILT: RecordLayout = {
  build: (slots, base) => slots[base + 1] as object,
};

/**
 * The records of one kind, oldest dropped first past `limit`, kept as runs of plain values in one flat
 * array rather than as an object per record. Records of a busy transport live for the last `limit`
 * messages, long enough to survive a scavenge: an object per record was one more object copied per
 * scavenge and promoted to the old generation, where the values in a flat array are not. Each entry is
 * {@link WIDTH} slots: its {@link RecordLayout}, then the values the layout builds the record from.
 */
export class RecordRing {
  private slots: unknown[] = [];
  /** Entry index the next record goes to. */
  private next = 0;
  private count = 0;

  /** @param limit Records kept, at least 1. */
  constructor(private readonly limit: number) {}

  /** Entries kept. */
  get length(): number {
    return this.count;
  }

  /** Keeps a record, overwriting the oldest once `limit` are kept: its layout and up to nine values. */
  push(layout: RecordLayout, a?: unknown, b?: unknown, c?: unknown, d?: unknown, e?: unknown, f?: unknown, g?: unknown, h?: unknown, i?: unknown): void {
    const { slots } = this;
    const base = this.next * WIDTH;
    slots[base] = layout;
    slots[base + 1] = a;
    slots[base + 2] = b;
    slots[base + 3] = c;
    slots[base + 4] = d;
    slots[base + 5] = e;
    slots[base + 6] = f;
    slots[base + 7] = g;
    slots[base + 8] = h;
    slots[base + 9] = i;
    this.next = this.next + 1 === this.limit ? 0 : this.next + 1;
    if (this.count < this.limit) this.count++;
  }

  /**
   * The records, oldest first. Each entry is built once: the built record replaces its values, so
   * reading again returns the same objects and releases what the entry held.
   */
  read(): object[] {
    const { slots, count } = this;
    const first = count < this.limit ? 0 : this.next;
    const out = new Array<object>(count);
    for (let index = 0; index < count; index++) {
      let entry = first + index;
      if (entry >= this.limit) entry -= this.limit;
      const base = entry * WIDTH;
      const layout = slots[base] as RecordLayout;
      if (layout === BUILT) {
        out[index] = slots[base + 1] as object;
        continue;
      }
      const record = layout.build(slots, base);
      slots[base] = BUILT;
      slots[base + 1] = record;
      for (let slot = 2; slot < WIDTH; slot++) slots[base + slot] = undefined;
      out[index] = record;
    }
    return out;
  }

  /** Forgets every record. */
  clear(): void {
    this.slots = [];
    this.next = 0;
    this.count = 0;
  }
}
