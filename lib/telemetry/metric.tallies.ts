import type { Attributes, BatchObservableResult, Observable } from '@opentelemetry/api';

/** Attribute sets one tally set keeps, as the SDK's default cardinality limit; later ones share the overflow set. */
const TALLY_LIMIT = 2000;
/** The attribute the SDK puts on its own overflow series. */
const OVERFLOW_ATTRIBUTES: Attributes = Object.freeze({ 'otel.metric.overflow': true });

/** One counted series: bump `value` on the hot path, no call into the SDK. */
export interface Tally {
  value: number;
  readonly attributes: Attributes;
}

/**
 * Counts kept in process, one per attribute set, and reported through an asynchronous instrument at each
 * collection. A synchronous instrument hashes the attribute set on every `add`; a counter bumped for every
 * message pays that per message, a tally once per collection. The exported series are the same (a
 * cumulative sum per attribute set).
 */
export class MetricTallies {
  private readonly tallies = new Map<string, Tally>();

  constructor(private readonly instrument: Observable) {}

  /** The tally of `key` (which identifies `attributes`), created at zero the first time. */
  of(key: string, attributes: Attributes): Tally {
    let tally = this.tallies.get(key);
    if (tally === undefined) {
      if (this.tallies.size >= TALLY_LIMIT) return this.overflow();
      tally = { value: 0, attributes };
      this.tallies.set(key, tally);
    }
    return tally;
  }

  /** Reports every tally, zeros included (a series that went back to zero still exists). */
  observe(result: BatchObservableResult): void {
    for (const tally of this.tallies.values()) result.observe(this.instrument, tally.value, tally.attributes);
  }

  private overflow(): Tally {
    let tally = this.tallies.get('\0overflow');
    if (tally === undefined) {
      tally = { value: 0, attributes: OVERFLOW_ATTRIBUTES };
      this.tallies.set('\0overflow', tally);
    }
    return tally;
  }
}
