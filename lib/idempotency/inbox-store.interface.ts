/**
 * What {@link InboxStore.claim} found for a key:
 * - `claimed`: nobody holds it and it was never committed (or its record expired): the caller now holds
 *   it, for `leaseMs`, and must `commit` or `release` it;
 * - `in-progress`: another claim holds it right now (this or another process is handling the message);
 * - `done`: it was committed: the message was already handled successfully.
 */
export type InboxClaimStatus = 'claimed' | 'in-progress' | 'done';

/** What {@link InboxStore.health} reports: facts for the health check and the issues found in them. */
export interface InboxStoreHealth {
  /** The store's kind, e.g. `memory` or `redis`. */
  readonly store: string;
  /** Committed ids held now (an estimate where the store cannot count exactly), when the store knows. */
  readonly keys?: number;
  /** The store's bound on `keys`, when it has one. */
  readonly maxKeys?: number;
  /** Store-specific facts (e.g. Redis `used_memory`, `maxmemory`, `maxmemory-policy`). */
  readonly details?: Readonly<Record<string, string | number | boolean>>;
  /**
   * Why deduplication is at risk, one line each (e.g. an eviction policy that can evict dedupe keys, memory
   * or key budget nearly used up). Empty when healthy.
   */
  readonly issues: readonly string[];
}

/**
 * The store behind idempotent consumers: one record per key (consumer name + message id) that is either a
 * claim (held by one handler run, identified by its `token`, until its lease ends) or a commit (kept for
 * the retention time). Implementations must make `claim` atomic: two concurrent claims of one key can never
 * both get `claimed`. Share one store between instances (e.g. {@link RedisInboxStore}) to deduplicate
 * across them; an in-process store ({@link MemoryInboxStore}) only sees its own process.
 *
 * The token lets `commit`, `release` and `renew` tell "my claim" from a later one: once a lease has run out
 * another handler may hold the key, and releasing theirs would let a third copy run.
 *
 * The optional members came after the first three; a store without them still works:
 * - without `renew`, leases are not renewed (the consumer warns at start): a handler running past
 *   `leaseMs` lets a redelivery run in parallel;
 * - without `commitInTransaction`, `ctx.inbox.commit(transaction)` throws `InboxTransactionUnsupportedError`;
 * - without `health`, the health check reports nothing about the store.
 *
 * @typeParam TTransaction what `commitInTransaction` accepts: the application's database transaction
 *   (e.g. a Postgres client inside `BEGIN`), for a store that lives in that database.
 */
export interface InboxStore<TTransaction = unknown> {
  /** Claims `key` for `leaseMs` under `token` unless it is held or committed. */
  claim(key: string, token: string, leaseMs: number): Promise<InboxClaimStatus>;
  /**
   * Marks `key` handled for `retentionMs`, whoever holds it (the side effect did happen). Resolves `true`
   * when `token`'s claim was still in place, `false` when its lease had run out first.
   */
  commit(key: string, token: string, retentionMs: number): Promise<boolean>;
  /** Removes `token`'s claim so a redelivery can run; does nothing (resolves `false`) when it is not ours any more. */
  release(key: string, token: string): Promise<boolean>;
  /**
   * Extends `token`'s claim to end `leaseMs` from now. Resolves `false`, changing nothing, when the key is
   * not held by `token` any more (lapsed, released, committed or claimed by another run): it must never
   * create a claim. The consumer calls it every third of the lease while the handler runs.
   */
  renew?(key: string, token: string, leaseMs: number): Promise<boolean>;
  /**
   * Like {@link InboxStore.commit}, but written through the caller's `transaction`, so the commit takes
   * effect if and only if that transaction commits: the handler's side effect and the inbox record become
   * atomic (exactly-once effects for a database the store lives in). Only stores that live in the
   * application's database can offer it.
   */
  commitInTransaction?(transaction: TTransaction, key: string, token: string, retentionMs: number): Promise<boolean>;
  /** The store's health, sampled periodically by the module for the health check (see `MessagingStatus.inbox`). */
  health?(): Promise<InboxStoreHealth>;
}
