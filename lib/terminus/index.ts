/**
 * The `@nestjs/terminus` integration (entry point `nestjs-typed-messaging/terminus`), kept out of the
 * package root so applications without terminus never load it.
 */
export { MessagingHealthIndicator, type MessagingHealthDetails } from './messaging.health-indicator.js';
export { MessagingHealthModule } from './messaging-health.module.js';
export { MESSAGING_HEALTH_DEFAULTS, MESSAGING_HEALTH_OPTIONS, type MessagingHealthOptions } from './messaging-health.options.js';
