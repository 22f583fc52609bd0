export * from './messaging.tokens.js';
export * from './consumer-limits.rule.js';
