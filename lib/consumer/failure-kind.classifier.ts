import { HttpException, HttpStatus } from '@nestjs/common';
import { MessageDeniedError } from '../errors/index.js';
import type { FailureKind } from './delivery-failure.types.js';

/**
 * The failure kind recorded for an error thrown while handling a message (handler, guards, pipes,
 * interceptors or filters).
 *
 * - `MessageDeniedError` (a guard refused the message) → `denied`.
 * - A 400 `HttpException` → `validation`. Nest's built-in pipes (`ParseIntPipe`, `ValidationPipe`, ...)
 *   throw `BadRequestException`, so a pipe rejecting the payload lands with other invalid input; a
 *   handler throwing `BadRequestException` is read the same way, since it says the same thing: the
 *   message itself is wrong and redelivering it unchanged cannot help.
 * - Anything else → `handler`.
 */
export function classifyHandlerFailure(error: unknown): FailureKind {
  if (error instanceof MessageDeniedError) return 'denied';
  if (error instanceof HttpException && error.getStatus() === HttpStatus.BAD_REQUEST) return 'validation';
  return 'handler';
}
