import type { ContextType } from '@nestjs/common';

/**
 * The `ExecutionContext` type Nest reports for a message handler, so a guard, interceptor, pipe or
 * filter shared with HTTP routes can tell the two apart: `host.getType<MessagingContextType>()`.
 */
export const MESSAGING_CONTEXT_TYPE = 'messaging';

/** What `host.getType()` returns around a `@Consumer` handler; widen with Nest's own `ContextType`. */
export type MessagingContextType = typeof MESSAGING_CONTEXT_TYPE;

/** Every context type an enhancer may see once this library runs next to Nest's own transports. */
export type AnyContextType = MessagingContextType | ContextType;
