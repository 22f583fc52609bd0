export * from './consumer.decorator.js';
export * from './producer.decorator.js';
export * from './messaging.constants.js';
export * from './message-params.decorator.js';
