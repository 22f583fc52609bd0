export * from './messaging.tokens.js';
export * from './consumer-limits.rule.js';
export * from './provider-methods.scanner.js';
export * from './typed-event.emitter.js';
export * from './ring.deque.js';
