import { InvalidOptionsError } from '../errors/index.js';
import type { DelaySchedule, ExponentialOptions } from './retry-policy.types.js';

/** The longest delay the SDK's delay topology supports: 2^27 - 1 ms (27 binary levels), about 37.3 hours. */
export const MAX_RETRY_DELAY_MS = 2 ** 27 - 1;

/**
 * The cap of `exponential()` when it is given no `maxMs`: one hour. Without a cap a long schedule would
 * ask for the SDK's ~37 h ceiling and declare a 27-level delay line for delays it never reaches.
 */
export const DEFAULT_EXPONENTIAL_MAX_MS = 3_600_000;

function checkDelay(value: number, what: string): void {
  if (!Number.isFinite(value) || value < 0 || value > MAX_RETRY_DELAY_MS) {
    throw new InvalidOptionsError(`${what} must be a number of milliseconds from 0 to ${MAX_RETRY_DELAY_MS}, got ${value}`);
  }
}

/**
 * Delays growing by `factor` from `initialMs`, capped at `maxMs`, each spread by ±`jitter`.
 *
 * @example retry: { immediate: 2, delayed: exponential({ initialMs: 1000, factor: 2, maxMs: 300_000, attempts: 5, jitter: 0.2 }) }
 */
export function exponential(options: ExponentialOptions): DelaySchedule {
  const { initialMs, factor = 2, attempts, jitter = 0 } = options;
  const maxMs = options.maxMs ?? DEFAULT_EXPONENTIAL_MAX_MS;
  checkDelay(initialMs, 'exponential: initialMs');
  checkDelay(maxMs, 'exponential: maxMs');
  if (!Number.isSafeInteger(attempts) || attempts < 0) throw new InvalidOptionsError(`exponential: attempts must be a non-negative integer, got ${attempts}`);
  if (!(factor >= 1)) throw new InvalidOptionsError(`exponential: factor must be at least 1, got ${factor}`);
  if (!(jitter >= 0 && jitter < 1)) throw new InvalidOptionsError(`exponential: jitter must be in [0, 1), got ${jitter}`);
  // The longest delay the schedule can really produce (its last base delay, spread up by the jitter), so
  // the delay line is declared only as deep as needed.
  const lastBase = attempts === 0 ? 0 : Math.min(maxMs, initialMs * factor ** (attempts - 1));
  return {
    attempts,
    maxDelayMs: Math.min(maxMs, Math.ceil(lastBase * (1 + jitter))),
    delayMs(retry, random) {
      if (retry >= attempts) return undefined;
      const base = Math.min(maxMs, initialMs * factor ** retry);
      const spread = base * jitter * (2 * random() - 1);
      return Math.round(Math.min(maxMs, Math.max(0, base + spread)));
    },
  };
}

/** A fixed list of delays, as `delayed: [1_000, 10_000, 60_000]` gives. */
export function fixedDelays(delays: readonly number[]): DelaySchedule {
  delays.forEach((delay, index) => checkDelay(delay, `retry delay #${index + 1}`));
  const copy = [...delays];
  return {
    attempts: copy.length,
    maxDelayMs: copy.reduce((max, delay) => Math.max(max, delay), 0),
    delayMs: (retry) => copy[retry],
  };
}
