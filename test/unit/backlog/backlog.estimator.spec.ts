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
