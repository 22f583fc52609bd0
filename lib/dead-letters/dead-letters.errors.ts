import { MessagingError } from '../errors/index.js';
import type { RedriveReport } from './dead-letter.types.js';

/** The transport does not implement the optional queue access SPI (`openQueueReader`, `purgeQueue`). */
export class QueueAccessUnsupportedError extends MessagingError {
  readonly code = 'QUEUE_ACCESS_UNSUPPORTED';

  constructor(readonly transportKind: string) {
    super(`The "${transportKind}" transport cannot read or purge queues (no openQueueReader/purgeQueue)`);
  }
}

/** A purge was called without `confirm` equal to the queue name; nothing was removed. */
export class PurgeNotConfirmedError extends MessagingError {
  readonly code = 'PURGE_NOT_CONFIRMED';

  constructor(readonly queue: string) {
    super(`Purging "${queue}" needs { confirm: "${queue}" }; nothing was removed`);
  }
}

/** A redrive names no selection (`all`, `ids` or a filter), or an invalid one. */
export class RedriveSelectionError extends MessagingError {
  readonly code = 'REDRIVE_SELECTION_INVALID';

  constructor(message: string) {
    super(message);
  }
}

/**
 * A redrive stopped halfway because the queue could no longer be read (connection or channel lost).
 * `report` tells what had moved by then; nothing was lost, and the messages listed as duplicated (or
 * published just before the loss) may exist twice.
 */
export class RedriveInterruptedError extends MessagingError {
  readonly code = 'REDRIVE_INTERRUPTED';

  constructor(readonly report: RedriveReport, options?: { cause?: unknown }) {
    const reason = options?.cause instanceof Error ? options.cause.message : String(options?.cause);
    super(`Redrive of "${report.queue}" interrupted after moving ${report.moved.length} message(s): ${reason}`, options);
  }
}

/**
 * A redrive refused to send a message where its headers say it failed: the destination comes from the
 * message itself, which any producer could have written, so it must be a queue the application's
 * topology dead-letters here, or one the operator named (`to`). The message stays where it is.
 */
export class RedriveDestinationError extends MessagingError {
  readonly code = 'REDRIVE_DESTINATION_REFUSED';

  constructor(
    readonly queue: string,
    readonly destination: string,
    readonly reason: string,
  ) {
    super(`Not redriving from "${queue}" to "${destination}": ${reason}. The message stays in "${queue}"`);
  }
}
