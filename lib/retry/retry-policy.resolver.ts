import { InvalidOptionsError } from '../errors/index.js';
import { fixedDelays } from './delay.schedules.js';
import type { DelaySchedule, ErrorMatcher, RetryPolicy } from './retry-policy.types.js';

/** A policy with its defaults applied and its delays as a schedule. */
export interface ResolvedRetryPolicy {
  readonly immediate: number;
  readonly delayed: DelaySchedule | undefined;
  readonly nonRetryable: ErrorMatcher | undefined;
  readonly overrides: ReadonlyArray<{ readonly errors: ErrorMatcher; readonly policy: ResolvedRetryPolicy }>;
}

/** What to do after a handler failure. */
export type RetryDecision =
  | { readonly action: 'immediate' }
  | { readonly action: 'delayed'; readonly delayMs: number }
  | { readonly action: 'exhausted'; readonly reason: 'non-retryable' | 'no-retries' | 'retries-exhausted' };

function matches(matcher: ErrorMatcher | undefined, error: unknown): boolean {
  if (!matcher) return false;
  if (typeof matcher === 'function') return matcher(error);
  return matcher.some((type) => error instanceof type);
}

/** Checks and normalises a policy; `false` or undefined means no retries. */
export function resolveRetryPolicy(policy: RetryPolicy | false | undefined, label: string): ResolvedRetryPolicy {
  if (!policy) return { immediate: 0, delayed: undefined, nonRetryable: undefined, overrides: [] };
  const immediate = policy.immediate ?? 0;
  if (!Number.isSafeInteger(immediate) || immediate < 0) {
    throw new InvalidOptionsError(`${label}: retry.immediate must be a non-negative integer, got ${immediate}`);
  }
  const delayed = policy.delayed === undefined ? undefined : Array.isArray(policy.delayed) ? fixedDelays(policy.delayed) : (policy.delayed as DelaySchedule);
  return {
    immediate,
    delayed,
    nonRetryable: policy.nonRetryable,
    overrides: (policy.overrides ?? []).map(({ errors, policy: inner }, index) => ({
      errors,
      policy: resolveRetryPolicy(inner, `${label}: retry.overrides[${index}]`),
    })),
  };
}

/** The longest delay a policy (with its overrides) can ask for. */
export function maxDelayOf(policy: ResolvedRetryPolicy): number {
  return Math.max(policy.delayed?.maxDelayMs ?? 0, ...policy.overrides.map((override) => maxDelayOf(override.policy)));
}

/** Whether a policy can retry at all. */
export function retries(policy: ResolvedRetryPolicy): boolean {
  return policy.immediate > 0 || (policy.delayed?.attempts ?? 0) > 0 || policy.overrides.some((override) => retries(override.policy));
}

/**
 * Decides what happens after a handler failure.
 *
 * @param immediateDone in-process re-runs already made for this delivery
 * @param delayedDone delayed retries this message already went through (its retry history)
 */
export function decideRetry(
  policy: ResolvedRetryPolicy,
  error: unknown,
  immediateDone: number,
  delayedDone: number,
  random: () => number = Math.random,
): RetryDecision {
  const override = policy.overrides.find((candidate) => matches(candidate.errors, error));
  const effective = override?.policy ?? policy;
  if (matches(effective.nonRetryable, error)) return { action: 'exhausted', reason: 'non-retryable' };
  if (immediateDone < effective.immediate) return { action: 'immediate' };
  const delayMs = effective.delayed?.delayMs(delayedDone, random);
  if (delayMs !== undefined) return { action: 'delayed', delayMs };
  const anyRetries = effective.immediate > 0 || (effective.delayed?.attempts ?? 0) > 0;
  return { action: 'exhausted', reason: anyRetries ? 'retries-exhausted' : 'no-retries' };
}
