/**
 * What {@link InboxStore.claim} found for a key:
 * - `claimed`: nobody holds it and it was never committed (or its record expired): the caller now holds
 *   it, for `leaseMs`, and must `commit` or `release` it;
 * - `in-progress`: another claim holds it right now (this or another process is handling the message);
 * - `done`: it was committed: the message was already handled successfully.
 */
export type InboxClaimStatus = 'claimed' | 'in-progress' | 'done';

/**
 * The store behind idempotent consumers: one record per key (consumer name + message id) that is either a
 * claim (held by one handler run, identified by its `token`, until its lease ends) or a commit (kept for
 * the retention time). Implementations must make `claim` atomic: two concurrent claims of one key can never
 * both get `claimed`. Share one store between instances (e.g. {@link RedisInboxStore}) to deduplicate
 * across them; an in-process store ({@link MemoryInboxStore}) only sees its own process.
 *
 * The token lets `commit` and `release` tell "my claim" from a later one: once a lease has run out another
 * handler may hold the key, and releasing theirs would let a third copy run.
 */
export interface InboxStore {
  /** Claims `key` for `leaseMs` under `token` unless it is held or committed. */
  claim(key: string, token: string, leaseMs: number): Promise<InboxClaimStatus>;
  /**
   * Marks `key` handled for `retentionMs`, whoever holds it (the side effect did happen). Resolves `true`
   * when `token`'s claim was still in place, `false` when its lease had run out first.
   */
  commit(key: string, token: string, retentionMs: number): Promise<boolean>;
  /** Removes `token`'s claim so a redelivery can run; does nothing (resolves `false`) when it is not ours any more. */
  release(key: string, token: string): Promise<boolean>;
}
