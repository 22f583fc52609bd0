import { describe, expect, it } from '@jest/globals';
import { Injectable, Module, Scope } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  Consumer,
  ConsumerDefinitionError,
  MemoryTransport,
  MESSAGING_OPTIONS,
  MESSAGING_TRANSPORT,
  MessagePublisher,
  MessagingModule,
  Producer,
  TopologyError,
  TypedProducer,
  type ContractOutput,
  type MessagingModuleOptions,
} from '../../../lib/index.js';
import { OrderPlaced, ordersTopology, Q } from '../../fixtures/orders.fixture.js';

@Injectable()
class Noop {
  @Consumer(OrderPlaced, { queue: Q.work })
  handle(_order: ContractOutput<typeof OrderPlaced>): void {}
}

@Injectable()
class Sender {
  constructor(@Producer(OrderPlaced) readonly producer: TypedProducer<typeof OrderPlaced>) {}
}

@Module({ imports: [MessagingModule.forFeature([OrderPlaced])], providers: [Sender], exports: [Sender] })
class FeatureModule {}

async function boot(imports: unknown[], providers: unknown[] = []) {
  const moduleRef = await Test.createTestingModule({
    imports: imports as never[],
    providers: providers as never[],
  }).compile();
  await moduleRef.init();
  return moduleRef;
}

describe('MessagingModule', () => {
  it('forRoot is global: a feature module injects a typed producer without importing forRoot', async () => {
    const transport = new MemoryTransport();
    const app = await boot([MessagingModule.forRoot({ transport, topology: ordersTopology }), FeatureModule]);
    const sender = app.get(Sender);
    expect(sender.producer).toBeInstanceOf(TypedProducer);
    expect(sender.producer.contract).toBe(OrderPlaced);
    expect(app.get(MESSAGING_TRANSPORT)).toBe(transport);
    await app.close();
  });

  it('forRootAsync resolves options from injected providers', async () => {
    const transport = new MemoryTransport();
    @Module({ providers: [{ provide: 'CFG', useValue: { prefetch: 3 } }], exports: ['CFG'] })
    class ConfigModule {}
    const app = await boot([
      MessagingModule.forRootAsync({
        imports: [ConfigModule],
        inject: ['CFG'],
        useFactory: (cfg: { prefetch: number }): MessagingModuleOptions => ({
          transport,
          topology: ordersTopology,
          consumerDefaults: { prefetch: cfg.prefetch },
        }),
      }),
    ]);
    expect(app.get<MessagingModuleOptions>(MESSAGING_OPTIONS).consumerDefaults?.prefetch).toBe(3);
    expect(app.get(MessagePublisher)).toBeInstanceOf(MessagePublisher);
    await app.close();
  });

  it('defaults to the in-memory transport', async () => {
    const app = await boot([MessagingModule.forRoot({ topology: ordersTopology })]);
    expect(app.get(MESSAGING_TRANSPORT)).toBeInstanceOf(MemoryTransport);
    await app.close();
  });

  it('isGlobal: false keeps providers out of other modules', async () => {
    @Injectable()
    class NeedsPublisher {
      constructor(readonly publisher: MessagePublisher) {}
    }
    @Module({ providers: [NeedsPublisher] })
    class Elsewhere {}
    await expect(
      Test.createTestingModule({ imports: [MessagingModule.forRoot({ isGlobal: false }), Elsewhere] }).compile(),
    ).rejects.toThrow(/MessagePublisher/);
  });

  it('a producer injected without forFeature fails with a message naming the contract', async () => {
    @Injectable()
    class Orphan {
      constructor(@Producer(OrderPlaced) readonly producer: TypedProducer<typeof OrderPlaced>) {}
    }
    await expect(
      Test.createTestingModule({ imports: [MessagingModule.forRoot({ topology: ordersTopology })], providers: [Orphan] }).compile(),
    ).rejects.toThrow(/MessagingProducer<test\.orders\.placed>/);
  });

  it('refuses an invalid topology at init', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [MessagingModule.forRoot({ topology: { queues: [{ name: 'q', deadLetterExchange: 'nope' }] } })],
    }).compile();
    await expect(moduleRef.init()).rejects.toThrow(TopologyError);
  });
});

describe('consumer discovery', () => {
  it('finds @Consumer methods on providers and starts them', async () => {
    const transport = new MemoryTransport();
    const app = await boot([MessagingModule.forRoot({ transport, topology: ordersTopology })], [Noop]);
    const { MessagingLifecycle } = await import('../../../lib/module/messaging.lifecycle.js');
    const runners = app.get(MessagingLifecycle).consumers;
    expect(runners.map((r) => r.binding.name)).toEqual(['Noop.handle']);
    // The README's documented defaults, stated literally: prefetch 200 (concurrency follows it) and
    // maxDeliveries 20. Changing the code's constant without the README fails here.
    expect(runners[0]?.binding).toMatchObject({ queue: Q.work, prefetch: 200, concurrency: 200 });
    expect(runners[0]?.binding.handlers.get(OrderPlaced.name)).toMatchObject({ name: 'Noop.handle', ack: 'auto', contract: OrderPlaced, maxDeliveries: 20 });
    await app.close();
  });

  it('the defaults are the README\'s: prefetch 200, maxDeliveries 20, maxMessageBytes 4 MiB (4194304)', async () => {
    const { MESSAGING_DEFAULTS } = await import('../../../lib/module/messaging-module.options.js');
    expect(MESSAGING_DEFAULTS).toMatchObject({ prefetch: 200, maxDeliveries: 20, maxMessageBytes: 4_194_304 });
  });

  it.each([
    ['an undeclared queue', { queue: 'nowhere' }, /queue "nowhere" is not declared/],
    ['concurrency above prefetch', { queue: Q.work, prefetch: 2, concurrency: 3 }, /concurrency 3 exceeds prefetch 2/],
    ['a zero prefetch', { queue: Q.work, prefetch: 0 }, /prefetch must be a positive integer/],
  ])('refuses %s', async (_label, options, message) => {
    @Injectable()
    class Bad {
      @Consumer(OrderPlaced, options)
      handle(): void {}
    }
    const moduleRef = await Test.createTestingModule({
      imports: [MessagingModule.forRoot({ topology: ordersTopology })],
      providers: [Bad],
    }).compile();
    const error = await moduleRef.init().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConsumerDefinitionError);
    expect((error as Error).message).toMatch(message);
  });

  it('refuses two handlers of one contract on one queue, naming both', async () => {
    @Injectable()
    class Twin {
      @Consumer(OrderPlaced, { queue: Q.work })
      handle(): void {}
    }
    const moduleRef = await Test.createTestingModule({
      imports: [MessagingModule.forRoot({ topology: ordersTopology })],
      providers: [Noop, Twin],
    }).compile();
    await expect(moduleRef.init()).rejects.toThrow(
      /(Twin\.handle and Noop\.handle|Noop\.handle and Twin\.handle) both handle contract "test\.orders\.placed" on queue "test\.orders\.work"/,
    );
  });

  it('refuses a consumer in a request-scoped provider', async () => {
    @Injectable({ scope: Scope.REQUEST })
    class Scoped {
      @Consumer(OrderPlaced, { queue: Q.work })
      handle(): void {}
    }
    const moduleRef = await Test.createTestingModule({
      imports: [MessagingModule.forRoot({ topology: ordersTopology })],
      providers: [Scoped],
    }).compile();
    await expect(moduleRef.init()).rejects.toThrow(/singleton providers/);
  });

  it('[type test] types the handler against the contract (enforced by npm run typecheck)', () => {
    // Type test: jest compiles with isolatedModules and does not check types, so only `npm run typecheck`
    // (which `npm test` runs first) fails when a @ts-expect-error line below compiles.
    class Typed {
      // @ts-expect-error the payload parameter does not match the contract's output type
      @Consumer(OrderPlaced, { queue: Q.work })
      handle(_order: { orderId: number }): void {}
    }
    expect(Typed).toBeDefined();
  });
});
