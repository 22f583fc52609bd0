import { ConsumerDefinitionError } from '../errors/index.js';

/**
 * The one rule for a consumer's prefetch and concurrency, shared by the module (checking `@Consumer`
 * declarations at start) and every transport (checking what reaches `consume`): a positive safe integer.
 * There is no "0 = unlimited": an unbounded prefetch lets one slow consumer hoard a whole queue.
 */
export function assertConsumerLimit(value: number, label: string): void {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new ConsumerDefinitionError(`${label} must be a positive integer, got ${value}`);
  }
}
