export * from './messaging-events.types.js';
export * from './messaging-event.bus.js';
export * from './on-messaging-event.decorator.js';
export * from './messaging-middleware.types.js';
