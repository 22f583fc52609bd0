import { afterEach, describe, expect, it } from '@jest/globals';
import { Inject, Injectable, Module, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  Consumer,
  DeliveryStaleError,
  MemoryTransport,
  MESSAGING_TRANSPORT,
  MessageContext,
  MessagePublisher,
  MessagingModule,
  Producer,
  ShutdownTimeoutError,
  TopologyError,
  TypedProducer,
  type ConsumeOptions,
  type ContractOutput,
  type DeliveryHandler,
  type TransportSubscription,
} from '../../../lib/index.js';
import { waitFor } from '../../fixtures/wait-for.fixture.js';
import { OrderPlaced, ordersTopology, Q } from '../../fixtures/orders.fixture.js';

type Order = ContractOutput<typeof OrderPlaced>;

@Injectable()
class Sender {
  constructor(@Producer(OrderPlaced) readonly producer: TypedProducer<typeof OrderPlaced>) {}
}

@Module({ imports: [MessagingModule.forFeature([OrderPlaced])], providers: [Sender], exports: [Sender] })
class FeatureModule {}

const opened: INestApplicationContext[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((app) => app.close()));
});

async function boot(imports: unknown[], providers: unknown[] = []): Promise<INestApplicationContext> {
  const app = await Test.createTestingModule({ imports: imports as never[], providers: providers as never[] }).compile();
  await app.init();
  opened.push(app);
  return app;
}

describe('module wiring', () => {
  it('isGlobal: false still lets forFeature producers resolve, and forFeature provides MessagePublisher', async () => {
    const transport = new MemoryTransport();
    const app = await boot([MessagingModule.forRoot({ transport, topology: ordersTopology, isGlobal: false }), FeatureModule]);
    const sender = app.get(Sender);
    await sender.producer.send({ orderId: 'a', totalCents: 1 });
    expect(transport.messages(Q.work)).toHaveLength(1);
    expect(app.select(FeatureModule).get(MessagePublisher)).toBeInstanceOf(MessagePublisher);
  });

  it('isGlobal: false keeps the transport token private to importers of the root module', async () => {
    @Injectable()
    class NeedsTransport {
      constructor(@Inject(MESSAGING_TRANSPORT) readonly transport: unknown) {}
    }
    @Module({ providers: [NeedsTransport] })
    class Elsewhere {}
    const local = Test.createTestingModule({
      imports: [MessagingModule.forRoot({ transport: new MemoryTransport(), topology: ordersTopology, isGlobal: false }), Elsewhere],
    });
    await expect(local.compile()).rejects.toThrow(/NeedsTransport/);
    const transport = new MemoryTransport();
    const app = await boot([MessagingModule.forRoot({ transport, topology: ordersTopology }), Elsewhere]);
    expect(app.get(NeedsTransport).transport).toBe(transport);
  });

  it('a transport factory gives each boot of the same module a fresh transport', async () => {
    const created: MemoryTransport[] = [];
    @Module({
      imports: [
        MessagingModule.forRoot({
          transport: () => {
            const transport = new MemoryTransport();
            created.push(transport);
            return transport;
          },
          topology: ordersTopology,
        }),
        FeatureModule,
      ],
    })
    class AppModule {}
    for (let run = 0; run < 2; run++) {
      const app = await boot([AppModule]);
      await app.get(Sender).producer.send({ orderId: `run-${run}`, totalCents: 1 });
      await app.close();
      opened.pop();
    }
    expect(created).toHaveLength(2);
    expect(created[0]).not.toBe(created[1]);
    expect(created.map((t) => t.stats().state)).toEqual(['closed', 'closed']);
  });

  it('a bootstrap that fails part-way stops the started consumers and closes the transport', async () => {
    class FailingTransport extends MemoryTransport {
      override async consume(options: ConsumeOptions, handler: DeliveryHandler): Promise<TransportSubscription> {
        if (options.queue === Q.dlq) throw new TopologyError('consume refused for the test');
        return super.consume(options, handler);
      }
    }
    @Injectable()
    class Both {
      @Consumer(OrderPlaced, { queue: Q.work })
      work(): void {}
      @Consumer(OrderPlaced, { queue: Q.dlq })
      dlq(): void {}
    }
    const transport = new FailingTransport();
    const moduleRef = await Test.createTestingModule({
      imports: [MessagingModule.forRoot({ transport, topology: ordersTopology })],
      providers: [Both],
    }).compile();
    await expect(moduleRef.init()).rejects.toThrow('consume refused for the test');
    expect(transport.stats()).toMatchObject({ state: 'closed', consumers: 0 });
  });
});

describe('MessageContext attempt and signal', () => {
  it('aborts ctx.signal with DeliveryStaleError when the delivery goes stale, and counts the redelivery', async () => {
    const transport = new MemoryTransport();
    const seen: Array<{ attempt: number; aborted: unknown }> = [];
    @Injectable()
    class Slow {
      @Consumer(OrderPlaced, { queue: Q.work })
      async handle(_order: Order, ctx: MessageContext<Order>): Promise<void> {
        if (ctx.attempt === 1) {
          await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
          seen.push({ attempt: ctx.attempt, aborted: ctx.signal.reason });
          throw new Error('gave up');
        }
        seen.push({ attempt: ctx.attempt, aborted: ctx.signal.aborted });
      }
    }
    const app = await boot([MessagingModule.forRoot({ transport, topology: ordersTopology }), FeatureModule], [Slow]);
    await app.get(Sender).producer.send({ orderId: 'a', totalCents: 1 });
    await waitFor(() => transport.queueDepth(Q.work).unacked === 1, 'the first delivery');
    transport.simulateConnectionLoss();
    await transport.waitForIdle();
    expect(seen).toHaveLength(2);
    expect(seen[0]?.aborted).toBeInstanceOf(DeliveryStaleError);
    expect(seen[1]).toEqual({ attempt: 2, aborted: false });
    // The stale delivery's failure published nothing: the broker redelivered it instead.
    expect(transport.messages(Q.dlq)).toHaveLength(0);
  });

  it('aborts ctx.signal with ShutdownTimeoutError when shutdown stops waiting', async () => {
    const transport = new MemoryTransport();
    let reason: unknown;
    @Injectable()
    class Stuck {
      @Consumer(OrderPlaced, { queue: Q.work })
      async handle(_order: Order, ctx: MessageContext<Order>): Promise<void> {
        await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
        reason = ctx.signal.reason;
      }
    }
    const app = await boot([MessagingModule.forRoot({ transport, topology: ordersTopology, shutdownTimeoutMs: 50 }), FeatureModule], [Stuck]);
    await app.get(Sender).producer.send({ orderId: 'a', totalCents: 1 });
    await waitFor(() => transport.queueDepth(Q.work).unacked === 1, 'the delivery');
    await app.close();
    opened.pop();
    expect(reason).toBeInstanceOf(ShutdownTimeoutError);
  });
});
