/**
 * The transport id of {@link MessagingServer}: `@EventPattern(pattern, MESSAGING_TRANSPORT_ID, extras)`
 * binds a handler to this server only, in an app that also runs other microservice transports.
 */
export const MESSAGING_TRANSPORT_ID: unique symbol = Symbol('nestjs-typed-messaging');
