export * from './topology.types.js';
export * from './topology.validator.js';
export * from './topology.lookup.js';
export { matchesTopic } from './topic-pattern.matcher.js';
