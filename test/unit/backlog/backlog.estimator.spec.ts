import { describe, expect, it } from '@jest/globals';
import { BacklogEstimator } from '../../../lib/backlog/backlog.estimator.js';

describe('BacklogEstimator', () => {
  it('recovers r and s from depth and counters: r = (ΔM + delivered)/Δt, s = completed/Δt', () => {
    const estimator = new BacklogEstimator('q', 1000);
    expect(estimator.update({ atMs: 0, depth: 100, consumers: 1, delivered: 0, completed: 0 }, 0).trend).toBe('unknown');
    // One second: 200 arrived, 100 delivered and completed, so the queue grew by 100.
    const backlog = estimator.update({ atMs: 1000, depth: 200, consumers: 1, delivered: 100, completed: 100 }, 1);
    expect(backlog.arrivalRate).toBeCloseTo(200);
    expect(backlog.serviceRate).toBeCloseTo(100);
    expect(backlog.trend).toBe('growing');
    expect(backlog.timeToDrainSeconds).toBeNull();
  });

  it('reports the time to drain as M/(s − r) when service outpaces arrivals, and 0 once empty', () => {
    const estimator = new BacklogEstimator('q', 1000);
    estimator.update({ atMs: 0, depth: 500, consumers: 1, delivered: 0, completed: 0 }, 0);
    const draining = estimator.update({ atMs: 1000, depth: 420, consumers: 1, delivered: 100, completed: 100 }, 1);
    expect(draining.arrivalRate).toBeCloseTo(20);
    expect(draining.trend).toBe('draining');
    expect(draining.timeToDrainSeconds).toBeCloseTo(420 / 80);
    const empty = estimator.update({ atMs: 2000, depth: 0, consumers: 1, delivered: 520, completed: 520 }, 2);
    expect(empty.timeToDrainSeconds).toBe(0);
  });

  it('smooths with a weight that follows the elapsed time', () => {
    const estimator = new BacklogEstimator('q', 1000);
    estimator.update({ atMs: 0, depth: 0, consumers: 1, delivered: 0, completed: 0 }, 0);
    estimator.update({ atMs: 1000, depth: 0, consumers: 1, delivered: 100, completed: 100 }, 1);
    // A burst of 300/s over 1 s moves the average by 1 − e^−1 of the way: 100 + 0.632 × 200.
    const next = estimator.update({ atMs: 2000, depth: 0, consumers: 1, delivered: 400, completed: 400 }, 2);
    expect(next.serviceRate).toBeCloseTo(100 + (1 - Math.exp(-1)) * 200);
    expect(next.trend).toBe('steady');
  });
});

describe('BacklogEstimator with several consuming instances', () => {
  it('does not clamp arrivals to 0 when other instances drain the queue: scales this instance\'s counts by the broker\'s consumer count', () => {
    // 3 instances with one consumer each; each second 100 arrive and all 3 together take 300, this one 100.
    const estimator = new BacklogEstimator('q', 1000);
    estimator.update({ atMs: 0, depth: 500, consumers: 3, localConsumers: 1, delivered: 0, completed: 0 }, 0);
    const backlog = estimator.update({ atMs: 1000, depth: 300, consumers: 3, localConsumers: 1, delivered: 100, completed: 100 }, 1);
    // Before the fix: max(0, (−200 + 100)/1) = 0 arrivals, and s = 100 (this instance only).
    expect(backlog.arrivalRate).toBeCloseTo(100);
    expect(backlog.serviceRate).toBeCloseTo(300);
    expect(backlog.rateSource).toBe('consumer-share');
    expect(backlog.trend).toBe('draining');
    expect(backlog.timeToDrainSeconds).toBeCloseTo(300 / 200);
    expect(backlog.expectedWaitSeconds).toBeCloseTo(300 / 300);
  });

  it('keeps negative per-sample arrival estimates in the average instead of clamping each one (no upward bias from noise)', () => {
    const estimator = new BacklogEstimator('q', 1000);
    estimator.update({ atMs: 0, depth: 100, consumers: 1, localConsumers: 1, delivered: 0, completed: 0 }, 0);
    // Sampling jitter: the depth read lags, so one interval shows −20/s and the next +220/s: 100/s on average.
    estimator.update({ atMs: 1000, depth: 0, consumers: 1, localConsumers: 1, delivered: 80, completed: 80 }, 1);
    const next = estimator.update({ atMs: 2000, depth: 100, consumers: 1, localConsumers: 1, delivered: 200, completed: 200 }, 2);
    const weight = 1 - Math.exp(-1);
    // Clamped, the first estimate would be 0 and the average 0 + w × 220 = 139; unclamped it is −20 + w × 240.
    expect(next.arrivalRate).toBeCloseTo(-20 + weight * 240);
  });

  it('uses the queue\'s own counters when the transport reports them, whatever this instance consumed', () => {
    const estimator = new BacklogEstimator('q', 1000);
    estimator.update({ atMs: 0, depth: 50, consumers: 3, localConsumers: 1, delivered: 0, completed: 0, enqueued: 1000, acknowledged: 950 }, 0);
    // This instance got an unequal share (20 of 120): the counters, not the share, give the rates.
    const backlog = estimator.update({ atMs: 1000, depth: 80, consumers: 3, localConsumers: 1, delivered: 20, completed: 20, enqueued: 1150, acknowledged: 1070 }, 1);
    expect(backlog.arrivalRate).toBeCloseTo(150);
    expect(backlog.serviceRate).toBeCloseTo(120);
    expect(backlog.rateSource).toBe('queue-counters');
    expect(backlog.trend).toBe('growing');
    expect(backlog.expectedWaitSeconds).toBeCloseTo(80 / 120);
  });

  it('a steady standing backlog with a short wait has a finite expected wait (Little\'s law, M / s), not "never drains"', () => {
    const estimator = new BacklogEstimator('q', 1000);
    estimator.update({ atMs: 0, depth: 200, consumers: 1, localConsumers: 1, delivered: 0, completed: 0 }, 0);
    const steady = estimator.update({ atMs: 1000, depth: 200, consumers: 1, localConsumers: 1, delivered: 100, completed: 100 }, 1);
    expect(steady.trend).toBe('steady');
    expect(steady.timeToDrainSeconds).toBeNull();
    expect(steady.expectedWaitSeconds).toBeCloseTo(2);
  });

  it('reports no expected wait (unbounded) when messages wait and nothing is served', () => {
    const estimator = new BacklogEstimator('q', 1000);
    estimator.update({ atMs: 0, depth: 10, consumers: 0, localConsumers: 0, delivered: 0, completed: 0 }, 0);
    const stuck = estimator.update({ atMs: 1000, depth: 20, consumers: 0, localConsumers: 0, delivered: 0, completed: 0 }, 1);
    expect(stuck.serviceRate).toBe(0);
    expect(stuck.expectedWaitSeconds).toBeNull();
  });
});

describe('BacklogEstimator with counters the broker refreshes in steps', () => {
  it('measures counter rates over a baseline of half the window, so 1 s refresh steps do not swing the estimate', () => {
    // RabbitMQ's management statistics refresh every collect_statistics_interval: 100/s in and out, refreshed
    // each second, sampled every 300 ms. Differencing successive samples gives 0, 0, 0, 333/s, ...
    const estimator = new BacklogEstimator('q', 2000);
    const counter = (atMs: number) => 100 * Math.floor(atMs / 1000);
    const estimates: number[] = [];
    for (let atMs = 0; atMs <= 20_000; atMs += 300) {
      const backlog = estimator.update({ atMs, depth: 50, consumers: 2, localConsumers: 1, delivered: 0, completed: 0, enqueued: counter(atMs), acknowledged: counter(atMs) }, atMs);
      if (atMs >= 5000) estimates.push(backlog.arrivalRate, backlog.serviceRate);
    }
    // Within 15% at every sample (differencing successive samples instead took it down to 74).
    expect(Math.min(...estimates)).toBeGreaterThan(85);
    expect(Math.max(...estimates)).toBeLessThan(115);
  });
});
