import { MessagingError } from '../errors/index.js';

/**
 * A Nest pattern handler failed. Nest's RPC exception filter turns a thrown error into a plain
 * `{ status, message }` object (or an `RpcException`'s error); this gives it an `Error` shape so the
 * failure headers and the `RemoteError` a requester sees carry its message.
 */
export class PatternHandlerError extends MessagingError {
  readonly code = 'PATTERN_HANDLER_FAILED';

  constructor(message: string, readonly error: unknown) {
    super(message);
  }
}

/** An `Error` for whatever a pattern handler (or Nest's filter around it) failed with. */
export function toHandlerError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  if (typeof thrown === 'string') return new PatternHandlerError(thrown, thrown);
  if (typeof thrown === 'object' && thrown !== null && typeof (thrown as { message?: unknown }).message === 'string') {
    return new PatternHandlerError((thrown as { message: string }).message, thrown);
  }
  return new PatternHandlerError(String(thrown), thrown);
}
