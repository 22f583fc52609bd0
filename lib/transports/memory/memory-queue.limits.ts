import type { QueueSettings } from './memory.declarations.js';

/** Whether `count` ready messages totalling `bytes` body bytes exceed a queue's `maxLength`/`maxLengthBytes`. */
export function exceedsLimits(settings: QueueSettings, count: number, bytes: number): boolean {
  const { maxLength, maxLengthBytes } = settings;
  return (maxLength !== undefined && count > maxLength) || (maxLengthBytes !== undefined && bytes > maxLengthBytes);
}
