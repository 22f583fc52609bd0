export * from './topology.types.js';
export * from './topology.validator.js';
export * from './topology.lookup.js';
export { topicKeyMatches } from './dead-letter-route.checker.js';
