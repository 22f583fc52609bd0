/** Options of `MemoryTransport`. */
export interface MemoryTransportOptions {
  /**
   * Records kept per kind (published, delivered, acked, nacked, dead-lettered), oldest dropped first, so
   * an app running on the embedded broker does not grow without bound. Default 10 000; `0` records nothing.
   */
  readonly maxRecords?: number;
}

/** Options of `MemoryTransport.waitForIdle`. */
export interface WaitForIdleOptions {
  /** Default 5000. */
  readonly timeoutMs?: number;
  /** Consecutive idle checks, about a millisecond apart, required before resolving. Default 3. */
  readonly stableChecks?: number;
}

/** Options of `MemoryTransport.waitFor`. */
export interface WaitForOptions {
  /** Default 5000. */
  readonly timeoutMs?: number;
  /** What is awaited, for the timeout message. */
  readonly description?: string;
}
