import { MessagingError } from '../errors/index.js';

/** An inbox store could not answer (e.g. Redis unreachable, or a reply it does not understand). */
export class InboxStoreError extends MessagingError {
  readonly code = 'INBOX_STORE_FAILED';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** `ctx.inbox.commit(transaction)` on a store that cannot write inside the application's transaction. */
export class InboxTransactionUnsupportedError extends MessagingError {
  readonly code = 'INBOX_TRANSACTION_UNSUPPORTED';

  constructor(store: string) {
    super(
      `${store} cannot commit inside your transaction (it has no commitInTransaction): call ctx.inbox.commit() ` +
        'without a transaction after yours commits, or record ctx.inbox.key in your own table inside the transaction',
    );
  }
}

/** An inbox claim settled twice in contradicting ways (committed, then released, or the reverse). */
export class InboxClaimSettledError extends MessagingError {
  readonly code = 'INBOX_CLAIM_SETTLED';

  constructor(key: string, state: string, attempted: 'commit' | 'release') {
    super(`Inbox claim "${key}" is already ${state}: it cannot ${attempted} any more`);
  }
}
