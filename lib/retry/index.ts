export * from './retry-policy.types.js';
export * from './delay.schedules.js';
export { RETRY_HEADERS } from './retry.headers.js';
export { DEFAULT_DELAY_PREFIX } from './delay-topology.builder.js';
