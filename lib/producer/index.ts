export * from './send.options.js';
export * from './message.publisher.js';
export * from './typed.producer.js';
