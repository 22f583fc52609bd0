export * from './backlog.types.js';
export { BacklogMonitor } from './backlog.monitor.js';
