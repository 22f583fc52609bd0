import { MessagingError } from '../errors/index.js';

/** An inbox store could not answer (e.g. Redis unreachable, or a reply it does not understand). */
export class InboxStoreError extends MessagingError {
  readonly code = 'INBOX_STORE_FAILED';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
