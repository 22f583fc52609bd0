import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { HandlerInvoker } from '../consumer/consumer-binding.types.js';
import type { MessageContext } from '../consumer/message.context.js';
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
 * - `claimed`: the handler runs; on success the id is committed before the dispatcher acks (a crash in
 *   between leaves a commit, so the redelivery is acked as a duplicate); on failure the claim is released
 *   before the dispatcher dead-letters, so a retry or a replay runs again;
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
    const started = Date.now();
    let result: unknown;
    try {
      result = await this.inner(payload, context);
    } catch (error) {
      // Thrown after an explicit ack: the message is gone, so it counts as handled.
      await this.finish(key, token, context, context.settlementState === 'acked', started);
      throw error;
    }
    const state = context.settlementState;
    await this.finish(key, token, context, state === 'pending' || state === 'acked', started);
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

  private async finish(key: string, token: string, context: MessageContext, handled: boolean, started: number): Promise<void> {
    const { store, leaseMs, retentionMs, consumer } = this.settings;
    const id = context.messageId;
    try {
      if (!handled) {
        await store.release(key, token);
        return;
      }
      if (!(await store.commit(key, token, retentionMs))) {
        this.logger.warn(
          `Consumer ${consumer}: message ${id} took ${Date.now() - started} ms, longer than its ${leaseMs} ms lease, ` +
            'so a duplicate may have run meanwhile; raise idempotency.leaseMs above the longest handler run',
        );
      }
    } catch (error) {
      // The message still settles as the handler decided: its claim then lapses after the lease.
      this.logger.error(
        `Consumer ${consumer}: could not ${handled ? 'commit' : 'release'} message ${id} in the inbox store ` +
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
