import { afterEach, describe, expect, it } from '@jest/globals';
import { Injectable, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { HealthIndicatorService } from '@nestjs/terminus';
import {
  Consumer,
  MemoryInboxStore,
  MemoryTransport,
  MessagingModule,
  MessagingStatus,
  Producer,
  TypedProducer,
  type IdempotencyOptions,
  type InboxStore,
} from '../../../lib/index.js';
import { MessagingHealthIndicator } from '../../../lib/terminus/index.js';
import { muteNestLogger, type MutedLogger } from '../../fixtures/logger.fixture.js';
import { OrderPlaced, ordersTopology, Q } from '../../fixtures/orders.fixture.js';
import { waitFor } from '../../fixtures/wait-for.fixture.js';

const opened: INestApplicationContext[] = [];
let logger: MutedLogger;

afterEach(async () => {
  await Promise.all(opened.splice(0).map((app) => app.close()));
  logger?.restore();
});

async function startApp(idempotency: IdempotencyOptions, idempotent = true) {
  logger = muteNestLogger();
  @Injectable()
  class Handler {
    @Consumer(OrderPlaced, { queue: Q.work, name: 'health', idempotent })
    handle(): void {}
  }
  @Injectable()
  class Sender {
    constructor(@Producer(OrderPlaced) readonly producer: TypedProducer<typeof OrderPlaced>) {}
  }
  const transport = new MemoryTransport();
  const app = await Test.createTestingModule({
    imports: [MessagingModule.forRoot({ transport, topology: ordersTopology, idempotency }), MessagingModule.forFeature([OrderPlaced])],
    providers: [Handler, Sender],
  }).compile();
  await app.init();
  opened.push(app);
  const status = app.get(MessagingStatus);
  const indicator = new MessagingHealthIndicator(new HealthIndicatorService(), status);
  return { transport, status, indicator, producer: app.get(Sender).producer };
}

describe('inbox health in MessagingStatus and the terminus indicator', () => {
  it('samples the store: the key count against its bound, and an issue (degraded, warned) once it is nearly full', async () => {
    const store = new MemoryInboxStore({ maxEntries: 5 });
    const { transport, status, indicator, producer } = await startApp({ store, healthIntervalMs: 50 });
    await waitFor(() => status.inbox() !== undefined, 'the first sample');
    expect(status.inbox()).toMatchObject({ store: 'memory', keys: 0, maxKeys: 5, issues: [], checkedAt: expect.any(Number) });
    expect(indicator.isHealthy().messaging).toMatchObject({ status: 'up', inbox: { keys: 0 } });
    for (let i = 0; i < 4; i++) await producer.send({ orderId: `o-${i}`, totalCents: 1 }, { messageId: `id-${i}` });
    await transport.waitForIdle();
    await waitFor(() => status.inbox()?.keys === 4, 'a sample after the commits');
    expect(status.snapshot().inbox?.issues).toEqual(['inbox holds 4 records of its maxEntries 5: beyond it the least recently used are evicted']);
    expect(indicator.isHealthy().messaging).toMatchObject({
      status: 'degraded',
      issues: ['inbox: inbox holds 4 records of its maxEntries 5: beyond it the least recently used are evicted'],
    });
    expect(logger.warnings().filter((w) => w.startsWith('Inbox store: inbox holds'))).toHaveLength(1); // once, not per sample
  });

  it('reports a failing health() as an issue', async () => {
    const records = new MemoryInboxStore();
    const store: InboxStore = {
      claim: (...args) => records.claim(...args),
      commit: (...args) => records.commit(...args),
      release: (...args) => records.release(...args),
      renew: (...args) => records.renew(...args),
      health: () => Promise.reject(new Error('INFO refused')),
    };
    const { status } = await startApp({ store, healthIntervalMs: 50 });
    await waitFor(() => status.inbox() !== undefined, 'the first sample');
    expect(status.inbox()?.issues).toEqual(['inbox store health check failed: INFO refused']);
  });

  it('reports nothing without an idempotent consumer, and keeps the snapshot as it was', async () => {
    const { status } = await startApp({ store: new MemoryInboxStore(), healthIntervalMs: 50 }, false);
    expect(status.inbox()).toBeUndefined();
    expect(Object.keys(status.snapshot())).toEqual(['transport', 'stats', 'consumers']);
  });
});
