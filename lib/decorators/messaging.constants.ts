/** Metadata key under which `@Consumer` stores its declaration on the handler method. */
export const CONSUMER_METADATA = 'messaging:consumer';

/** Injection token of the active {@link MessagingTransport}. */
export const MESSAGING_TRANSPORT = Symbol('MESSAGING_TRANSPORT');
