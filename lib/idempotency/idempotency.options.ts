import type { InboxStore } from './inbox-store.interface.js';

/** Module-level settings of idempotent consumers (`MessagingModuleOptions.idempotency`). */
export interface IdempotencyOptions {
  /**
   * Where claims and commits live. Default: one {@link MemoryInboxStore} per module boot, which only
   * deduplicates within this process; give a {@link RedisInboxStore} to deduplicate across instances.
   */
  readonly store?: InboxStore;
  /**
   * How long a claim holds a message id before it counts as abandoned (a crashed process must not block
   * the id forever). Must exceed the handler's longest run: past it, a duplicate may run in parallel.
   * Default 30,000 ms.
   */
  readonly leaseMs?: number;
  /** How long a handled message id is remembered, i.e. the deduplication window. Default 24 h. */
  readonly retentionMs?: number;
  /**
   * How often the store's `health()` (key count, memory, eviction risk) is sampled for the health check,
   * when the store has one and a consumer is idempotent. Default 30,000 ms.
   */
  readonly healthIntervalMs?: number;
}

/** The idempotency defaults, in one place so the README and the code cannot disagree. */
export const IDEMPOTENCY_DEFAULTS = {
  leaseMs: 30_000,
  retentionMs: 24 * 60 * 60 * 1000,
  healthIntervalMs: 30_000,
} as const;
