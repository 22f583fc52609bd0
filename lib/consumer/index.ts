export * from './message.context.js';
export * from './delivery-failure.types.js';
export type { SettlementState } from './delivery.settlement.js';
export type { UnknownTypePolicy } from './message.dispatcher.js';
