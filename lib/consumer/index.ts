export * from './message.context.js';
export * from './delivery-failure.types.js';
export type { SettlementState } from './delivery.settlement.js';
export type { UnknownTypePolicy } from './message.dispatcher.js';
export * from './messaging-context.type.js';
export * from './message-context.host.js';
export * from './consumer-handler.factory.js';
export { classifyHandlerFailure } from './failure-kind.classifier.js';
