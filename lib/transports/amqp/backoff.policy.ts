/** Delay in milliseconds before retry number `attempt` (0 for the first retry). */
export type BackoffPolicy = (attempt: number) => number;

/**
 * Doubles from `baseMs` up to a cap of 32 times the base (and never above 30 s unless the base itself
 * is larger), so a channel the broker keeps refusing is retried quickly at first without hammering the
 * broker for as long as the problem lasts.
 */
export function exponentialBackoff(baseMs: number): BackoffPolicy {
  const capMs = Math.max(baseMs, Math.min(30_000, baseMs * 32));
  return (attempt) => Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
}
