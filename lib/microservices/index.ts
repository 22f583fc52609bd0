/**
 * The `@nestjs/microservices` integration (entry point `nestjs-typed-messaging/microservices`), kept out
 * of the package root so applications without `@nestjs/microservices` never load it.
 */
export { MessagingServer, type MessagingServerStatus } from './messaging.server.js';
export { MessagingClient, type MessagingClientStatus } from './messaging.client.js';
export { MessagingRpcContext } from './messaging-rpc.context.js';
export { MESSAGING_TRANSPORT_ID } from './microservices.constants.js';
export { PatternHandlerError } from './pattern-handler.error.js';
export type { MessagingServerOptions, MessagingPatternExtras } from './messaging-server.options.js';
export type { MessagingClientOptions } from './messaging-client.options.js';
