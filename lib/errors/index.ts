export * from './messaging.errors.js';
