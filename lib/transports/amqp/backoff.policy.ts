/** Delay in milliseconds before retry number `attempt` (0 for the first retry). */
export type BackoffPolicy = (attempt: number) => number;

/** A source of uniform random numbers in [0, 1), injectable so tests can pin the jitter. */
export type RandomSource = () => number;

/**
 * Doubles from `baseMs` up to a cap of 32 times the base (and never above 30 s unless the base itself
 * is larger), so a channel the broker keeps refusing is retried quickly at first without hammering the
 * broker for as long as the problem lasts.
 *
 * With "equal jitter": the delay is half the exponential step plus a random part of up to the other
 * half. After a broker restart every client (and every channel of one client) would otherwise retry in
 * lock-step, hitting the broker in synchronized waves; the random half spreads them out, while the fixed
 * half keeps a retry from coming back immediately. The result never exceeds the cap.
 */
export function exponentialBackoff(baseMs: number, random: RandomSource = Math.random): BackoffPolicy {
  const capMs = Math.max(baseMs, Math.min(30_000, baseMs * 32));
  return (attempt) => {
    const stepMs = Math.min(capMs, baseMs * 2 ** Math.min(Math.max(attempt, 0), 30));
    const jitter = Math.min(Math.max(random(), 0), 1);
    return Math.min(capMs, Math.round(stepMs / 2 + (stepMs / 2) * jitter));
  };
}
