import { describe, expect, it } from '@jest/globals';
import { exponentialBackoff } from '../../../lib/transports/amqp/backoff.policy.js';
import { fakeTransport, ORDERS_TOPOLOGY } from '../../fixtures/amqp-transport.fixture.js';
import { installAmqpTestHooks } from '../../fixtures/amqp-test-hooks.fixture.js';
import { waitFor } from '../../fixtures/wait-for.fixture.js';

const hooks = installAmqpTestHooks();

describe('exponentialBackoff', () => {
  it('jitters each step between half of it and all of it (equal jitter)', () => {
    const low = exponentialBackoff(100, () => 0);
    const high = exponentialBackoff(100, () => 0.999_999);
    expect([0, 1, 2, 3].map(low)).toEqual([50, 100, 200, 400]);
    expect([0, 1, 2, 3].map(high)).toEqual([100, 200, 400, 800]);
  });

  it('never exceeds its cap (32 times the base, at most 30 s), however large the attempt or the random value', () => {
    for (const random of [() => 0, () => 0.5, () => 1, () => 7]) {
      const backoff = exponentialBackoff(100, random);
      for (const attempt of [5, 6, 20, 1000]) expect(backoff(attempt)).toBeLessThanOrEqual(3200);
    }
    expect(exponentialBackoff(5000, () => 1)(50)).toBe(30_000);
  });

  it('spreads the delays of retries that would otherwise happen in lock-step', () => {
    const backoff = exponentialBackoff(1000);
    const delays = new Set(Array.from({ length: 50 }, () => backoff(4)));
    expect(delays.size).toBeGreaterThan(10);
    for (const delay of delays) expect(delay).toBeGreaterThanOrEqual(8000);
  });
});

describe('AmqpTransport reconnect delay', () => {
  it('rewrites the connection manager’s reconnect wait from the jittered backoff on every disconnect', async () => {
    const { broker, transport } = fakeTransport({ reconnectDelayMs: 1000 }, { autoReconnect: false });
    hooks.closeAfterTest(() => transport.close());
    await transport.start(ORDERS_TOPOLOGY);
    const waits: number[] = [];
    for (let i = 0; i < 5; i++) {
      broker.killConnection();
      waits.push(broker.reconnectTimeInSeconds ?? Number.NaN);
      broker.reconnect();
      await waitFor(() => transport.stats().connected, 'reconnected');
    }
    for (const wait of waits) {
      expect(wait).toBeGreaterThanOrEqual(0.5);
      expect(wait).toBeLessThanOrEqual(1);
    }
    expect(new Set(waits).size).toBeGreaterThan(1);
  });
});
