import { afterAll, afterEach, beforeAll, expect, it, jest } from '@jest/globals';
import { Injectable, Logger, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  Consumer,
  MemoryTransport,
  MessageContext,
  MessagingModule,
  Producer,
  RedisInboxStore,
  TypedProducer,
  type ContractOutput,
} from '../../../lib/index.js';
import { muteNestLogger, type MutedLogger } from '../../fixtures/logger.fixture.js';
import { OrderPlaced, ordersTopology, Q } from '../../fixtures/orders.fixture.js';
import { sleep, waitFor } from '../../fixtures/wait-for.fixture.js';
import { connectRedis, deleteRedisPrefix, describeWithRedis, uniqueRedisPrefix, type TestRedisClient } from '../../support/redis.js';

type Order = ContractOutput<typeof OrderPlaced>;

describeWithRedis('idempotent consumers on RedisInboxStore: lease renewal', () => {
  const prefix = uniqueRedisPrefix('inbox-lease');
  let redis: TestRedisClient;
  let logger: MutedLogger;
  let debug: jest.SpiedFunction<Logger['debug']>;
  const apps: INestApplicationContext[] = [];

  beforeAll(async () => {
    redis = await connectRedis();
  });

  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
    debug?.mockRestore();
    logger?.restore();
  });

  afterAll(async () => {
    await deleteRedisPrefix(redis, prefix);
    await redis.close();
  });

  it('a handler running 2.5 leases keeps its claim in Redis: the duplicate waits and is acked as one, the handler runs once', async () => {
    logger = muteNestLogger();
    debug = jest.spyOn(Logger.prototype, 'debug').mockImplementation(() => undefined);
    const store = new RedisInboxStore({ client: redis, keyPrefix: prefix });
    const calls: string[] = [];
    @Injectable()
    class SlowConsumer {
      @Consumer(OrderPlaced, { queue: Q.work, name: 'slow', idempotent: true, concurrency: 5 })
      async handle(order: Order, ctx: MessageContext<Order>): Promise<void> {
        calls.push(order.orderId);
        // Renewed every third of the 1,000 ms lease: two renewals may be late by up to 600 ms each under load.
        await sleep(2_500);
        expect(ctx.inbox?.state).toBe('held');
      }
    }
    @Injectable()
    class Sender {
      constructor(@Producer(OrderPlaced) readonly producer: TypedProducer<typeof OrderPlaced>) {}
    }
    const transport = new MemoryTransport();
    const app = await Test.createTestingModule({
      imports: [
        MessagingModule.forRoot({ transport, topology: ordersTopology, shutdownTimeoutMs: 300, idempotency: { store, leaseMs: 1_000 } }),
        MessagingModule.forFeature([OrderPlaced]),
      ],
      providers: [SlowConsumer, Sender],
    }).compile();
    await app.init();
    apps.push(app);
    const producer = app.get(Sender).producer;
    await producer.send({ orderId: 'a', totalCents: 1 }, { messageId: 'id-1' });
    await waitFor(() => calls.length === 1, 'the first copy started');
    await sleep(1_300); // past the original lease: only a renewal keeps the claim now
    expect(await redis.get(store.redisKey('slow:id-1'))).toMatch(/^claim:/);
    await producer.send({ orderId: 'a', totalCents: 1 }, { messageId: 'id-1' });
    await transport.waitForIdle();
    expect(calls).toEqual(['a']);
    expect(debug.mock.calls.filter((call) => String(call[0]).includes('already handled'))).toHaveLength(1);
    expect(await redis.get(store.redisKey('slow:id-1'))).toBe('done');
    expect(logger.warnings().filter((w) => w.includes('lost its inbox claim'))).toEqual([]);
  }, 20_000);
});
