import type { Logger } from '@nestjs/common';
import { InboxClaimSettledError, InboxTransactionUnsupportedError } from './inbox.errors.js';
import type { InboxStore } from './inbox-store.interface.js';

/**
 * Where an {@link InboxClaim} stands:
 * - `held`: this run holds the message id; the lease is renewed while the handler runs;
 * - `committed`: recorded as handled (by `commit()`, or written into the caller's transaction);
 * - `released`: given back, so a redelivery runs the handler again;
 * - `lost`: the lease lapsed before it could be renewed (e.g. the store was unreachable for longer than the
 *   lease): another run may hold the id now. A commit still records the id.
 */
export type InboxClaimState = 'held' | 'committed' | 'released' | 'lost';

/**
 * The inbox claim of the message being handled, on `ctx.inbox` of an idempotent consumer. By default the
 * consumer commits it after the handler resolves and releases it when the handler fails; a handler commits
 * or releases it itself to decide earlier, in particular to commit inside its own database transaction.
 *
 * @typeParam TTransaction what `commit(transaction)` accepts: the store's `commitInTransaction` type.
 */
export interface InboxClaim<TTransaction = unknown> {
  /** The inbox key: `<consumer name>:<message id>`. Unique per message and consumer, so usable as a database key. */
  readonly key: string;
  /** This run's claim token: distinguishes it from a later run's claim of the same key. */
  readonly token: string;
  /** The consumer's name. */
  readonly consumer: string;
  /** The message id. */
  readonly messageId: string;
  readonly state: InboxClaimState;
  /** Aborts when the claim is lost (see {@link InboxClaimState}): a redelivery may be running in parallel. */
  readonly lost: AbortSignal;
  /**
   * Records the id as handled now, and stops renewing the lease. With a `transaction`, the record is written
   * through it (`InboxStore.commitInTransaction`), so it takes effect if and only if the transaction
   * commits. Resolves `true` when the claim was still held, `false` when its lease had lapsed first (the id
   * is recorded anyway). Committing twice does nothing the second time.
   *
   * @throws InboxTransactionUnsupportedError with a transaction, when the store cannot take one.
   * @throws InboxClaimSettledError when the claim was released.
   */
  commit(transaction?: TTransaction): Promise<boolean>;
  /**
   * Gives the id back so a redelivery runs the handler again, and stops renewing the lease. The message
   * itself still settles as the handler decides. Resolves `false` when the claim was not held any more.
   *
   * @throws InboxClaimSettledError when the claim was committed.
   */
  release(): Promise<boolean>;
}

/** What a {@link HeldInboxClaim} needs besides its key and token. */
export interface HeldInboxClaimSettings {
  readonly consumer: string;
  readonly messageId: string;
  readonly store: InboxStore;
  readonly leaseMs: number;
  readonly retentionMs: number;
  readonly logger: Logger;
}

/**
 * One handler run's claim: renews its lease every third of it until the claim is committed, released or
 * stopped, so a handler running longer than the lease keeps redeliveries waiting instead of letting them
 * run alongside. Two missed renewals in a row still leave a third of the lease.
 */
export class HeldInboxClaim implements InboxClaim {
  private current: InboxClaimState = 'held';
  private committedInTransaction = false;
  private lostController: AbortController | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly started = Date.now();

  constructor(
    readonly key: string,
    readonly token: string,
    private readonly settings: HeldInboxClaimSettings,
  ) {}

  get consumer(): string {
    return this.settings.consumer;
  }

  get messageId(): string {
    return this.settings.messageId;
  }

  get state(): InboxClaimState {
    return this.current;
  }

  get lost(): AbortSignal {
    this.lostController ??= new AbortController();
    if (this.current === 'lost') this.lostController.abort();
    return this.lostController.signal;
  }

  /** True when the handler committed through its own transaction, which may still roll back. */
  get inTransaction(): boolean {
    return this.committedInTransaction;
  }

  /** Starts renewing the lease, when the store can (`renew`). */
  keepAlive(): void {
    if (!this.settings.store.renew) return;
    const every = Math.max(1, Math.floor(this.settings.leaseMs / 3));
    this.timer = setTimeout(() => void this.renew(every), every);
    // A hung handler must not keep the process alive through its renewals.
    this.timer.unref();
  }

  /** Stops renewing; the claim stays as it is. */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  async commit(transaction?: unknown): Promise<boolean> {
    if (this.current === 'committed') return true;
    if (this.current === 'released') throw new InboxClaimSettledError(this.key, this.current, 'commit');
    const { store, retentionMs } = this.settings;
    if (transaction !== undefined && !store.commitInTransaction) {
      throw new InboxTransactionUnsupportedError(store.constructor.name);
    }
    const before = this.current;
    this.stop();
    // Committed from the start of the write, so the renewal stops and a concurrent release refuses.
    this.current = 'committed';
    this.committedInTransaction = transaction !== undefined;
    let held: boolean;
    try {
      held =
        transaction !== undefined && store.commitInTransaction
          ? await store.commitInTransaction(transaction, this.key, this.token, retentionMs)
          : await store.commit(this.key, this.token, retentionMs);
    } catch (error) {
      // Not recorded: the claim is still there to release when the run fails.
      this.current = before;
      this.committedInTransaction = false;
      throw error;
    }
    const wasLost = before === 'lost';
    if (!held && !wasLost) this.warnLost(`committed after ${Date.now() - this.started} ms`);
    return held;
  }

  async release(): Promise<boolean> {
    if (this.current === 'released') return false;
    if (this.current === 'committed' && !this.committedInTransaction) throw new InboxClaimSettledError(this.key, this.current, 'release');
    this.stop();
    this.current = 'released';
    return this.settings.store.release(this.key, this.token);
  }

  private async renew(every: number): Promise<void> {
    const { store, leaseMs, logger, consumer, messageId } = this.settings;
    if (this.timer === undefined || this.current !== 'held') return;
    try {
      if (!(await store.renew!(this.key, this.token, leaseMs)) && this.current === 'held') {
        this.markLost();
        return;
      }
    } catch (error) {
      // The lease may still hold: try again at the next tick.
      logger.warn(`Consumer ${consumer}: could not renew the inbox lease of message ${messageId} (${(error as Error).message}); retrying`);
    }
    if (this.timer === undefined || this.current !== 'held') return;
    this.timer = setTimeout(() => void this.renew(every), every);
    this.timer.unref();
  }

  private markLost(): void {
    this.stop();
    this.current = 'lost';
    this.lostController?.abort();
    this.warnLost(`still running after ${Date.now() - this.started} ms`);
  }

  private warnLost(when: string): void {
    const { logger, consumer, messageId, leaseMs, store } = this.settings;
    const why = store.renew
      ? 'lapsed before it could be renewed, e.g. the store was unreachable or the event loop stalled'
      : 'lapsed: this store cannot renew leases, so raise idempotency.leaseMs above the longest handler run';
    logger.warn(`Consumer ${consumer}: message ${messageId} lost its inbox claim (${when}; its ${leaseMs} ms lease ${why}), so a duplicate may have run meanwhile`);
  }
}
