export * from './consumer.decorator.js';
export * from './producer.decorator.js';
export { MESSAGING_TRANSPORT } from '../common/index.js';
export * from './message-params.decorator.js';
