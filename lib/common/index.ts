export * from './messaging.tokens.js';
