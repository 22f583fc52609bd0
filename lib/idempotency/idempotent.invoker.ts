import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { HandlerInvoker } from '../consumer/consumer-binding.types.js';
import { ATTACH_INBOX_CLAIM, type MessageContext } from '../consumer/message.context.js';
import { HeldInboxClaim } from './inbox.claim.js';
import type { InboxClaimStatus, InboxStore } from './inbox-store.interface.js';

/** What one idempotent consumer needs to know. */
export interface IdempotentInvokerSettings {
  /** The consumer's name; with the message id it forms the inbox key, so consumers deduplicate separately. */
  readonly consumer: string;
  readonly store: InboxStore;
  readonly leaseMs: number;
  readonly retentionMs: number;
}

// Polling a claim another handler holds: fast at first (most handlers are short), then at most once a second.
const FIRST_POLL_MS = 25;
const MAX_POLL_MS = 1_000;
// A store that cannot answer: the message goes back to the queue after this pause, so it does not spin.
const STORE_DOWN_PAUSE_MS = 1_000;

/** Resolves `true` after `ms`, or `false` as soon as `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Wraps a consumer's invoker (the Nest pipeline included) with the inbox, so it runs after validation and
 * before guards. Per message id:
 * - `claimed`: the handler runs, with the claim on `ctx.inbox` and its lease renewed every third of it
 *   (so a run longer than the lease keeps redeliveries waiting); on success the id is committed before the
 *   dispatcher acks (a crash in between leaves a commit, so the redelivery is acked as a duplicate); on
 *   failure the claim is released before the dispatcher dead-letters, so a retry or a replay runs again.
 *   A crash before the commit leaves the claim to lapse, and the redelivery runs the handler again: side
 *   effects are at-least-once unless the handler commits the claim in its own transaction;
 * - `done`: acked without calling the handler (logged at debug);
 * - `in-progress`: the same id is being handled right now (here or by another instance), so this copy
 *   waits, polling, until that run commits (then it is acked as a duplicate) or releases or loses its lease
 *   (then this copy claims it and runs). Waiting keeps the broker from spinning the copy through requeues.
 *
 * A handler that settles the message itself decides the outcome: `ack` commits; `nack`, `reject` release.
 * A message without an id cannot be deduplicated: it is handled, and the consumer warns once.
 */
export class IdempotentInvoker {
  private readonly logger = new Logger('Messaging');
  private warnedMissingId = false;

  constructor(
    private readonly inner: HandlerInvoker,
    private readonly settings: IdempotentInvokerSettings,
  ) {}

  /** The wrapped invoker, with the same signature as the one it wraps. */
  readonly invoke: HandlerInvoker = async (payload, context) => {
    const { messageId } = context;
    if (messageId === undefined || messageId === '') {
      this.warnMissingId();
      return this.inner(payload, context);
    }
    const key = `${this.settings.consumer}:${messageId}`;
    const token = randomUUID();
    const status = await this.acquire(key, token, context);
    if (status !== 'claimed') {
      if (status === 'done') {
        this.logger.debug(`Consumer ${this.settings.consumer}: message ${messageId} was already handled; acknowledged as a duplicate`);
        context.ack();
      } else {
        context.nack({ requeue: true });
      }
      return undefined;
    }
    const { consumer, store, leaseMs, retentionMs } = this.settings;
    const claim = new HeldInboxClaim(key, token, { consumer, messageId, store, leaseMs, retentionMs, logger: this.logger });
    context[ATTACH_INBOX_CLAIM](claim);
    claim.keepAlive();
    let result: unknown;
    try {
      result = await this.inner(payload, context);
    } catch (error) {
      // Thrown after an explicit ack: the message is gone, so it counts as handled.
      await this.finish(claim, context.settlementState === 'acked');
      throw error;
    }
    const state = context.settlementState;
    await this.finish(claim, state === 'pending' || state === 'acked');
    return result;
  };

  /** Claims `key`, waiting out another holder; `unavailable` when the store failed or the wait was aborted. */
  private async acquire(key: string, token: string, context: MessageContext): Promise<InboxClaimStatus | 'unavailable'> {
    const { store, leaseMs, consumer } = this.settings;
    let delay = FIRST_POLL_MS;
    for (;;) {
      let status: InboxClaimStatus;
      try {
        status = await store.claim(key, token, leaseMs);
      } catch (error) {
        this.logger.error(
          `Consumer ${consumer}: the inbox store failed (${(error as Error).message}); message ${context.messageId} goes back to the queue`,
        );
        await pause(STORE_DOWN_PAUSE_MS, context.signal);
        return 'unavailable';
      }
      if (status !== 'in-progress') return status;
      if (delay === FIRST_POLL_MS) {
        this.logger.debug(`Consumer ${consumer}: message ${context.messageId} is being handled elsewhere; waiting for that run to finish`);
      }
      if (!(await pause(delay, context.signal))) return 'unavailable';
      delay = Math.min(delay * 2, MAX_POLL_MS);
    }
  }

  /**
   * Commits or releases what the handler left held. A claim the handler committed itself stays committed,
   * except one written into its transaction when the run failed: that transaction may have rolled back, so
   * the claim is released (a release never removes a commit).
   */
  private async finish(claim: HeldInboxClaim, handled: boolean): Promise<void> {
    claim.stop();
    const { leaseMs, consumer } = this.settings;
    const state = claim.state;
    if (state === 'released' || (state === 'committed' && (handled || !claim.inTransaction))) return;
    try {
      if (handled) await claim.commit();
      else await claim.release();
    } catch (error) {
      // The message still settles as the handler decided: its claim then lapses after the lease.
      this.logger.error(
        `Consumer ${consumer}: could not ${handled ? 'commit' : 'release'} message ${claim.messageId} in the inbox store ` +
          `(${(error as Error).message}); its claim expires after ${leaseMs} ms`,
      );
    }
  }

  private warnMissingId(): void {
    if (this.warnedMissingId) return;
    this.warnedMissingId = true;
    this.logger.warn(
      `Consumer ${this.settings.consumer} is idempotent but received a message without a messageId: such messages ` +
        'are handled without deduplication (warned once per consumer)',
    );
  }
}
