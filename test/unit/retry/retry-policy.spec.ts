import { describe, expect, it } from '@jest/globals';
import { DEFAULT_EXPONENTIAL_MAX_MS, exponential, InvalidOptionsError, MAX_RETRY_DELAY_MS, validateTopology } from '../../../lib/index.js';
import { DelayTopology } from '../../../lib/retry/delay-topology.builder.js';
import { fixedDelays } from '../../../lib/retry/delay.schedules.js';
import { decideRetry, resolveRetryPolicy } from '../../../lib/retry/retry-policy.resolver.js';
import { matchesTopic } from '../../../lib/topology/index.js';

class TransientError extends Error {}
class FatalError extends Error {}
class RateLimited extends Error {}

describe('delay schedules', () => {
  it('exponential grows by the factor from initialMs, capped at maxMs, for `attempts` retries', () => {
    const schedule = exponential({ initialMs: 1000, factor: 2, maxMs: 5000, attempts: 5 });
    expect([0, 1, 2, 3, 4, 5].map((retry) => schedule.delayMs(retry, () => 0.5))).toEqual([1000, 2000, 4000, 5000, 5000, undefined]);
    expect(schedule.maxDelayMs).toBe(5000);
  });

  it('jitter spreads each delay by ±jitter of itself and never past maxMs', () => {
    const schedule = exponential({ initialMs: 1000, factor: 2, maxMs: 3000, attempts: 3, jitter: 0.2 });
    expect(schedule.delayMs(0, () => 0)).toBe(800);
    expect(schedule.delayMs(0, () => 0.999999)).toBe(1200);
    expect(schedule.delayMs(1, () => 0)).toBe(1600);
    expect(schedule.delayMs(2, () => 0.999999)).toBe(3000);
  });

  it('exponential without maxMs is capped at one hour, and declares only as deep a line as its delays reach', () => {
    expect(DEFAULT_EXPONENTIAL_MAX_MS).toBe(3_600_000);
    const long = exponential({ initialMs: 60_000, factor: 10, attempts: 6 });
    expect(long.delayMs(5, () => 0.5)).toBe(3_600_000);
    expect(long.maxDelayMs).toBe(3_600_000);
    expect(new DelayTopology(long.maxDelayMs).levels).toBe(22);
    // Five retries from 1 s doubling reach 16 s (19.2 s with 20% jitter): a 15-level line, not 27.
    const short = exponential({ initialMs: 1000, attempts: 5, jitter: 0.2 });
    expect(short.maxDelayMs).toBe(19_200);
    expect(new DelayTopology(short.maxDelayMs).levels).toBe(15);
  });

  it('the documented ceiling is 2^27 - 1 ms (about 37.3 h), what a 27-level line expresses', () => {
    expect(MAX_RETRY_DELAY_MS).toBe(2 ** 27 - 1);
    expect(new DelayTopology(MAX_RETRY_DELAY_MS).maxDelayMs).toBe(MAX_RETRY_DELAY_MS);
    expect(() => exponential({ initialMs: 1000, maxMs: MAX_RETRY_DELAY_MS + 1, attempts: 1 })).toThrow(InvalidOptionsError);
  });

  it('refuses impossible settings with InvalidOptionsError', () => {
    expect(() => exponential({ initialMs: -1, attempts: 1 })).toThrow(InvalidOptionsError);
    expect(() => exponential({ initialMs: 10, attempts: 1, jitter: 1 })).toThrow(/jitter/);
    expect(() => exponential({ initialMs: 10, attempts: 1.5 })).toThrow(/attempts/);
    expect(() => fixedDelays([100, Number.NaN])).toThrow(/retry delay #2/);
  });
});

describe('decideRetry', () => {
  const policy = resolveRetryPolicy(
    {
      immediate: 2,
      delayed: [100, 1000],
      nonRetryable: [FatalError],
      overrides: [{ errors: [RateLimited], policy: { delayed: [60_000] } }],
    },
    'test',
  );

  it('retries in process first, then with the listed delays, then gives up', () => {
    const error = new TransientError('blip');
    expect(decideRetry(policy, error, 0, 0)).toEqual({ action: 'immediate' });
    expect(decideRetry(policy, error, 1, 0)).toEqual({ action: 'immediate' });
    expect(decideRetry(policy, error, 2, 0)).toEqual({ action: 'delayed', delayMs: 100 });
    expect(decideRetry(policy, error, 2, 1)).toEqual({ action: 'delayed', delayMs: 1000 });
    expect(decideRetry(policy, error, 2, 2)).toEqual({ action: 'exhausted', reason: 'retries-exhausted' });
  });

  it('never retries a non-retryable error, and applies the first matching override', () => {
    expect(decideRetry(policy, new FatalError('no'), 0, 0)).toEqual({ action: 'exhausted', reason: 'non-retryable' });
    expect(decideRetry(policy, new RateLimited('slow down'), 0, 0)).toEqual({ action: 'delayed', delayMs: 60_000 });
    expect(decideRetry(resolveRetryPolicy({ nonRetryable: (e) => e instanceof TypeError }, 't'), new TypeError('x'), 0, 0).action).toBe('exhausted');
  });

  it('no policy means no retries', () => {
    expect(decideRetry(resolveRetryPolicy(false, 't'), new Error('x'), 0, 0)).toEqual({ action: 'exhausted', reason: 'no-retries' });
    expect(() => resolveRetryPolicy({ immediate: -1 }, '@Consumer X')).toThrow(/@Consumer X: retry.immediate/);
  });
});

describe('DelayTopology', () => {
  it('has enough binary levels for the longest delay, and writes a delay in binary, most significant level first', () => {
    const delays = new DelayTopology(300_000);
    expect(delays.levels).toBe(19);
    expect(delays.maxDelayMs).toBe(2 ** 19 - 1);
    expect(new DelayTopology(5).routingKey(5)).toBe('1.0.1');
    expect(new DelayTopology(5).routingKey(0)).toBe('0.0.0');
    expect(new DelayTopology(5).routingKey(99)).toBe('1.1.1');
  });

  it('routes a delay key through exactly the levels whose bit is set, then back to the target queue', () => {
    const delays = new DelayTopology(6, 'delay');
    const topology = delays.topology(['work']);
    expect(() => validateTopology({ ...topology, queues: [...topology.queues, { name: 'work' }] })).not.toThrow();
    // Follow the key through the levels as the broker would: bit 1 → the level's queue, bit 0 → skip it.
    const visited: string[] = [];
    const key = delays.routingKey(6);
    for (let level = delays.levels - 1; level >= 0; level--) {
      const exchange = `delay.v2.L0${level}`;
      const toQueue = topology.bindings.find((b) => b.exchange === exchange && b.queue === exchange && matchesTopic(b.routingKey ?? '', key));
      const skip = topology.bindings.find((b) => b.exchange === exchange && b.toExchange && matchesTopic(b.routingKey ?? '', key));
      expect(Boolean(toQueue) !== Boolean(skip)).toBe(true);
      if (toQueue) visited.push(`${exchange} (${topology.queues.find((q) => q.name === exchange)?.messageTtl} ms)`);
    }
    expect(visited).toEqual(['delay.v2.L02 (4 ms)', 'delay.v2.L01 (2 ms)']);
    expect(topology.bindings.filter((b) => b.exchange === 'delay.v2.deliver')).toEqual([
      { exchange: 'delay.v2.deliver', queue: 'work', arguments: { 'x-match': 'all', 'messaging-retry-target': 'work' } },
    ]);
  });
});
