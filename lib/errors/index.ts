export * from './messaging.errors.js';
export * from './request.errors.js';
export * from './connection.errors.js';
