export * from './transport.interface.js';
export * from './memory/index.js';
export * from './amqp/index.js';
