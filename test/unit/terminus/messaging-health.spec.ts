import { describe, expect, it } from '@jest/globals';
import { HealthIndicatorService } from '@nestjs/terminus';
import { MemoryTransport, type ConsumerStatus, type MessagingStatus, type MessagingStatusSnapshot, type TransportStats } from '../../../lib/index.js';
import { MessagingHealthIndicator } from '../../../lib/terminus/index.js';
import { startHealthApp } from '../../fixtures/health-app.fixture.js';
import { ordersTopology, Q } from '../../fixtures/orders.fixture.js';

const healthyStats: TransportStats = { state: 'running', connected: true, bufferedPublishes: 0, unconfirmedPublishes: 0, consumers: 1 };
const consumer: ConsumerStatus = { name: 'Billing.charge', queue: 'billing', running: true, inFlight: 0, concurrency: 1, delivered: 0, completed: 0 };

/** An indicator over a fixed snapshot. */
function indicatorFor(stats: Partial<TransportStats>, consumers: ConsumerStatus[] = [consumer]): MessagingHealthIndicator {
  const snapshot: MessagingStatusSnapshot = { transport: 'amqp', stats: { ...healthyStats, ...stats }, consumers };
  const status = { snapshot: () => snapshot } as unknown as MessagingStatus;
  return new MessagingHealthIndicator(new HealthIndicatorService(), status, { bufferedPublishesDegradedAt: 100 });
}

describe('MessagingHealthIndicator', () => {
  it('is up when connected with every consumer subscribed', () => {
    expect(indicatorFor({}).isHealthy()).toEqual({ messaging: expect.objectContaining({ status: 'up', connected: true, issues: [] }) });
  });

  it('is down when disconnected or not running', () => {
    expect(indicatorFor({ connected: false }).isHealthy('broker').broker).toMatchObject({ status: 'down', issues: ['no broker connection'] });
    expect(indicatorFor({ state: 'closed', connected: false }).isHealthy().messaging).toMatchObject({ status: 'down', issues: ['transport is closed'] });
  });

  it('is degraded when the publish buffer is high or a consumer is not running or not subscribed', () => {
    expect(indicatorFor({ bufferedPublishes: 150 }).isHealthy().messaging).toMatchObject({ status: 'degraded', bufferedPublishes: 150 });
    expect(indicatorFor({ consumers: 0 }, [{ ...consumer, running: false }]).isHealthy().messaging).toMatchObject({
      status: 'degraded',
      issues: ['consumer Billing.charge on "billing" is not running'],
    });
    expect(indicatorFor({ consumers: 0 }).isHealthy().messaging).toMatchObject({ status: 'degraded', issues: ['1 consumer(s) not subscribed on the broker'] });
  });

  it('works through HealthCheckService in a Nest app on the memory transport', async () => {
    const { app, indicator, checks } = await startHealthApp(() => new MemoryTransport(), ordersTopology, Q.work);
    try {
      const result = await checks.check([() => indicator.isHealthy()]);
      expect(result.status).toBe('ok');
      expect(result.details.messaging).toMatchObject({ status: 'up', transport: 'memory', consumers: { running: 1, total: 1, subscribed: 1 } });
    } finally {
      await app.close();
    }
  });
});
