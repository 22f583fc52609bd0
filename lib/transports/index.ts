export * from './transport.interface.js';
export * from './transport.events.js';
export * from './delivery-attempt.js';
export * from './dead-letter.copy.js';
export * from './memory/index.js';
export * from './amqp/index.js';
