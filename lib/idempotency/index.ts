export * from './inbox-store.interface.js';
export * from './inbox.errors.js';
export * from './inbox.claim.js';
export * from './memory-inbox.store.js';
export * from './redis-inbox.store.js';
export * from './idempotency.options.js';
export { IdempotentInvoker, type IdempotentInvokerSettings } from './idempotent.invoker.js';
export { IdempotentInvokerFactory, type IdempotencyCandidate } from './idempotent-invoker.factory.js';
export { InboxHealthMonitor, type InboxHealthReport } from './inbox-health.monitor.js';
