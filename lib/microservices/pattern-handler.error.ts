import { RpcException } from '@nestjs/microservices';
import { MessageDeniedError, MessagingError } from '../errors/index.js';

// What Nest's RPC context raises when a guard says no (`RpcException(FORBIDDEN_MESSAGE)`), which its RPC
// exception filter hands on as `{ status: 'error', message }`. The text is all that tells a refusal apart.
const GUARD_REFUSAL_MESSAGE = 'Forbidden resource';

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

/**
 * Whether a pattern handler's failure is a guard's refusal: Nest's `RpcException('Forbidden resource')`,
 * as it leaves Nest's RPC exception filter (`{ status: 'error', message }`) or rethrown as is by a
 * filter of the application. A handler throwing that same exception says the same thing.
 */
function isGuardRefusal(thrown: unknown): boolean {
  if (thrown instanceof RpcException) return thrown.getError() === GUARD_REFUSAL_MESSAGE;
  if (typeof thrown !== 'object' || thrown === null || thrown instanceof Error) return false;
  const { status, message } = thrown as { status?: unknown; message?: unknown };
  return status === 'error' && message === GUARD_REFUSAL_MESSAGE;
}

/**
 * An `Error` for whatever the handler of `pattern` (or Nest's filter around it) failed with: a guard's
 * refusal becomes `MessageDeniedError`, recorded as `denied` and never retried, as for `@Consumer`.
 */
export function toHandlerError(thrown: unknown, pattern: string): Error {
  if (thrown instanceof MessageDeniedError) return thrown;
  if (isGuardRefusal(thrown)) return new MessageDeniedError(pattern, 'a guard refused it', { cause: thrown });
  if (thrown instanceof Error) return thrown;
  if (typeof thrown === 'string') return new PatternHandlerError(thrown, thrown);
  if (typeof thrown === 'object' && thrown !== null && typeof (thrown as { message?: unknown }).message === 'string') {
    return new PatternHandlerError((thrown as { message: string }).message, thrown);
  }
  return new PatternHandlerError(String(thrown), thrown);
}
