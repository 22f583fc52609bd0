import { MessagingError } from './messaging.errors.js';

/** A request got no reply within its `timeoutMs`; the responder may still have done the work. */
export class RequestTimeoutError extends MessagingError {
  readonly code = 'REQUEST_TIMEOUT';

  constructor(
    readonly destination: string,
    readonly timeoutMs: number,
  ) {
    super(`No reply to the request sent to ${destination} within ${timeoutMs} ms; the responder may or may not have handled it`);
  }
}

/**
 * A request in flight lost its reply address: the requester's connection or channel closed (a
 * reconnect gives it a new address, so a reply to the old one can never arrive), or the transport
 * closed. Failed at once rather than left to time out; the request may or may not have been handled.
 */
export class RequestInterruptedError extends MessagingError {
  readonly code = 'REQUEST_INTERRUPTED';

  constructor(
    readonly destination: string,
    reason: string,
  ) {
    super(`The request sent to ${destination} lost its reply address (${reason}); it may or may not have been handled`);
  }
}

/** What a responder reports about a failure, as carried in an error reply. */
export interface RemoteErrorDetails {
  /** The error class name on the responder, e.g. `MessageValidationError`. */
  readonly name: string;
  readonly message: string;
  /** The failure kind, as recorded in `x-failure-kind` (`handler`, `validation`, `denied`, ...). */
  readonly kind: string;
  /** The responder error's `code`, when it had a string one. */
  readonly remoteCode?: string;
}

/**
 * The responder failed to handle a request (its handler threw, the request broke the contract, a guard
 * refused it, ...) and said so in its reply. The request reached it: retrying the same payload usually
 * fails the same way.
 */
export class RemoteError extends MessagingError {
  readonly code = 'REMOTE_ERROR';
  /** The responder's error class name. */
  readonly remoteName: string;
  /** The failure kind (`handler`, `validation`, `denied`, `rejected`, `decode`, `unknown-type`, ...). */
  readonly kind: string;
  /** The responder error's `code`, if it had one. */
  readonly remoteCode: string | undefined;

  constructor(readonly destination: string, details: RemoteErrorDetails) {
    super(`${destination} failed to handle the request (${details.kind}, ${details.name}): ${details.message}`);
    this.remoteName = details.name;
    this.kind = details.kind;
    this.remoteCode = details.remoteCode;
  }
}

/** The transport in use cannot do request/reply (it does not implement the optional `RequestReply` SPI). */
export class RequestReplyUnsupportedError extends MessagingError {
  readonly code = 'REQUEST_REPLY_UNSUPPORTED';

  constructor(transportKind: string) {
    super(`The "${transportKind}" transport does not support request/reply`);
  }
}

/** A reply could not be decoded or does not match the RPC contract's response schema. */
export class InvalidReplyError extends MessagingError {
  readonly code = 'INVALID_REPLY';

  constructor(readonly destination: string, reason: string, options?: { cause?: unknown }) {
    super(`The reply from ${destination} is invalid: ${reason}`, options);
  }
}

/**
 * A request reached its handler after its requester had stopped waiting (its deadline, see
 * `RPC_DEADLINE_HEADER`): typically a retry that waited behind other messages. The handler is not run for
 * a requester that cannot hear the answer; the request is dead-lettered with this error.
 */
export class RequestExpiredError extends MessagingError {
  readonly code = 'REQUEST_EXPIRED';

  constructor(
    readonly messageId: string | undefined,
    readonly deadline: Date,
  ) {
    super(`Request ${messageId ?? '(no id)'} arrived after its requester stopped waiting (${deadline.toISOString()}); its handler was not run`);
  }
}
