import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { Injectable, Logger, UseGuards, type CanActivate, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  Consumer,
  ConsumerDefinitionError,
  FAILURE_HEADERS,
  MemoryInboxStore,
  MemoryTransport,
  MessageContext,
  MessagingModule,
  Producer,
  TypedProducer,
  type ConsumerOptions,
  type ContractOutput,
  type InboxStore,
  type MessagingModuleOptions,
} from '../../../lib/index.js';
import { muteNestLogger, type MutedLogger } from '../../fixtures/logger.fixture.js';
import { OrderPlaced, ordersTopology, Q } from '../../fixtures/orders.fixture.js';
import { sleep, waitFor } from '../../fixtures/wait-for.fixture.js';

type Order = ContractOutput<typeof OrderPlaced>;
type Behaviour = (order: Order, ctx: MessageContext<Order>) => unknown;

const guardCalls: string[] = [];
@Injectable()
class CountingGuard implements CanActivate {
  canActivate(): boolean {
    guardCalls.push('guard');
    return true;
  }
}

const opened: INestApplicationContext[] = [];
let logger: MutedLogger;
let debug: jest.SpiedFunction<Logger['debug']>;

afterEach(async () => {
  await Promise.all(opened.splice(0).map((app) => app.close()));
  guardCalls.length = 0;
  debug?.mockRestore();
  logger?.restore();
});

async function startApp(
  behaviour: Behaviour,
  options: Partial<ConsumerOptions> = {},
  moduleOptions: Partial<MessagingModuleOptions> = {},
  guarded = false,
) {
  logger = muteNestLogger();
  debug = jest.spyOn(Logger.prototype, 'debug').mockImplementation(() => undefined);
  const transport = new MemoryTransport();
  const calls: string[] = [];
  @Injectable()
  class PlainConsumer {
    @Consumer(OrderPlaced, { queue: Q.work, idempotent: true, concurrency: 5, ...options })
    async handle(order: Order, ctx: MessageContext<Order>): Promise<void> {
      calls.push(order.orderId);
      await behaviour(order, ctx);
    }
  }
  @Injectable()
  @UseGuards(CountingGuard)
  class GuardedConsumer extends PlainConsumer {}
  @Injectable()
  class Sender {
    constructor(@Producer(OrderPlaced) readonly producer: TypedProducer<typeof OrderPlaced>) {}
  }
  const app = await Test.createTestingModule({
    imports: [
      MessagingModule.forRoot({ transport, topology: ordersTopology, shutdownTimeoutMs: 300, ...moduleOptions }),
      MessagingModule.forFeature([OrderPlaced]),
    ],
    providers: [guarded ? GuardedConsumer : PlainConsumer, Sender, CountingGuard],
  }).compile();
  await app.init();
  opened.push(app);
  const producer = app.get(Sender).producer;
  const send = (orderId: string, messageId: string) => producer.send({ orderId, totalCents: 100 }, { messageId });
  const duplicateLogs = () => debug.mock.calls.filter((call) => String(call[0]).includes('already handled')).length;
  return { transport, calls, send, duplicateLogs };
}

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

describe('idempotent consumers', () => {
  it('handles a message id once: later duplicates are acked without calling the handler, logged at debug', async () => {
    const { transport, calls, send, duplicateLogs } = await startApp(() => undefined);
    await send('a', 'id-1');
    await transport.waitForIdle();
    await send('a', 'id-1');
    await send('b', 'id-2');
    await send('a', 'id-1');
    await transport.waitForIdle();
    expect(calls).toEqual(['a', 'b']);
    expect(duplicateLogs()).toBe(2);
    expect(transport.queueDepth(Q.work)).toEqual({ ready: 0, unacked: 0 });
    expect(transport.messages(Q.dlq)).toHaveLength(0);
    expect(transport.records.acked).toHaveLength(4);
  });

  it('releases the id when the handler fails, so a redelivery or replay runs it again', async () => {
    let failures = 1;
    const { transport, calls, send } = await startApp(() => {
      if (failures-- > 0) throw new Error('database down');
    });
    await send('a', 'id-1');
    await transport.waitForIdle();
    expect(transport.messages(Q.dlq)[0]?.properties.headers?.[FAILURE_HEADERS.kind]).toBe('handler');
    await send('a', 'id-1');
    await transport.waitForIdle();
    await send('a', 'id-1');
    await transport.waitForIdle();
    expect(calls).toEqual(['a', 'a']);
    expect(transport.messages(Q.dlq)).toHaveLength(1);
  });

  it('releases the id when the handler rejects it itself, and commits when it acks it itself', async () => {
    const outcomes = ['reject', 'ack', 'none'];
    const { transport, calls, send } = await startApp(async (_order, ctx) => {
      const outcome = outcomes.shift();
      if (outcome === 'reject') await ctx.reject('not now');
      if (outcome === 'ack') ctx.ack();
    });
    for (let i = 0; i < 3; i++) {
      await send('a', 'id-1');
      await transport.waitForIdle();
    }
    expect(calls).toEqual(['a', 'a']);
    expect(outcomes).toEqual(['none']);
  });

  it('lets concurrent duplicates wait for the running copy, then acks them without running the handler', async () => {
    const release = gate();
    const { transport, calls, send, duplicateLogs } = await startApp(() => release.opened);
    await Promise.all([send('a', 'id-1'), send('a', 'id-1'), send('a', 'id-1'), send('b', 'id-2')]);
    await waitFor(() => calls.length === 2, 'both ids started');
    await sleep(100); // the duplicates are delivered and polling the claim meanwhile
    expect(transport.queueDepth(Q.work)).toEqual({ ready: 0, unacked: 4 });
    release.open();
    await transport.waitForIdle();
    expect(calls.sort()).toEqual(['a', 'b']);
    expect(duplicateLogs()).toBe(2);
    expect(transport.messages(Q.dlq)).toHaveLength(0);
  });

  it('runs a waiting duplicate when the running copy fails and releases its claim', async () => {
    const release = gate();
    let first = true;
    const { transport, calls, send } = await startApp(async () => {
      if (!first) return;
      first = false;
      await release.opened;
      throw new Error('first attempt fails');
    });
    await Promise.all([send('a', 'id-1'), send('a', 'id-1')]);
    await waitFor(() => calls.length === 1, 'the first copy started');
    await sleep(60);
    expect(calls).toHaveLength(1);
    release.open();
    await transport.waitForIdle();
    expect(calls).toEqual(['a', 'a']);
    expect(transport.messages(Q.dlq)).toHaveLength(1);
  });

  it('renews the lease while the handler runs: a duplicate arriving after the lease waits instead of running in parallel', async () => {
    // Lease 1,000 ms, renewed every third of it; the handler runs 2.5 leases. Without renewal the duplicate
    // claims the lapsed id and runs alongside.
    const { transport, calls, send, duplicateLogs } = await startApp(() => sleep(2_500), {}, { idempotency: { leaseMs: 1_000 } });
    await send('a', 'id-1');
    await waitFor(() => calls.length === 1, 'the first copy started');
    await send('a', 'id-1');
    await transport.waitForIdle();
    expect(calls).toEqual(['a']);
    expect(duplicateLogs()).toBe(1);
    expect(logger.warnings().filter((w) => w.includes('lease'))).toEqual([]);
  });

  it('claims before guards: a duplicate never reaches the guard', async () => {
    const { transport, calls, send } = await startApp(() => undefined, {}, {}, true);
    await send('a', 'id-1');
    await transport.waitForIdle();
    await send('a', 'id-1');
    await transport.waitForIdle();
    expect(calls).toEqual(['a']);
    expect(guardCalls).toEqual(['guard']);
  });

  it('handles messages without a messageId (nothing to deduplicate on) and warns once', async () => {
    const { transport, calls } = await startApp(() => undefined);
    for (const orderId of ['x', 'y']) {
      await transport.publish({
        exchange: 'test.orders',
        routingKey: OrderPlaced.routingKey,
        body: Buffer.from(JSON.stringify({ orderId, totalCents: 1 })),
        properties: { contentType: 'application/json', type: OrderPlaced.name },
        mandatory: true,
      });
    }
    await transport.waitForIdle();
    expect(calls).toEqual(['x', 'y']);
    expect(logger.warnings().filter((w) => w.includes('without a messageId'))).toHaveLength(1);
  });

  it('consumerDefaults.idempotent makes every consumer idempotent unless it opts out', async () => {
    const store = new MemoryInboxStore();
    const on = await startApp(() => undefined, { idempotent: undefined }, { consumerDefaults: { idempotent: true }, idempotency: { store } });
    await on.send('a', 'id-1');
    await on.send('a', 'id-1');
    await on.transport.waitForIdle();
    expect(on.calls).toEqual(['a']);
    expect(store.size).toBe(1);
    await Promise.all(opened.splice(0).map((app) => app.close()));
    logger.restore();
    debug.mockRestore();
    const off = await startApp(() => undefined, { idempotent: false }, { consumerDefaults: { idempotent: true } });
    await off.send('a', 'id-1');
    await off.send('a', 'id-1');
    await off.transport.waitForIdle();
    expect(off.calls).toEqual(['a', 'a']);
  });

  it('keys the inbox by consumer name and message id, in the configured store', async () => {
    const store = new MemoryInboxStore();
    const claim = jest.spyOn(store, 'claim');
    const { transport, send } = await startApp(() => undefined, { name: 'billing' }, { idempotency: { store, leaseMs: 5_000 } });
    await send('a', 'id-9');
    await transport.waitForIdle();
    expect(claim).toHaveBeenCalledWith('billing:id-9', expect.any(String), 5_000);
  });

  it("refuses ack: 'manual' on an idempotent consumer at start", async () => {
    await expect(startApp(() => undefined, { ack: 'manual' })).rejects.toThrow(ConsumerDefinitionError);
    await expect(startApp(() => undefined, { ack: 'manual', idempotent: undefined }, { consumerDefaults: { idempotent: true } })).rejects.toThrow(
      /idempotent consumers need ack: 'auto'/,
    );
  });

  it('refuses a lease or retention that is not a positive integer', async () => {
    await expect(startApp(() => undefined, {}, { idempotency: { leaseMs: 0 } })).rejects.toThrow(/idempotency.leaseMs/);
    await expect(startApp(() => undefined, {}, { idempotency: { retentionMs: 1.5 } })).rejects.toThrow(/idempotency.retentionMs must be a positive integer/);
    await expect(startApp(() => undefined, {}, { idempotency: { retentionMs: -1 } })).rejects.toThrow(/idempotency.retentionMs/);
  });
});

describe('idempotent consumers when the store fails', () => {
  it('requeues the message (never dead-letters it) when a claim fails, and handles it once the store answers', async () => {
    const store = new MemoryInboxStore();
    const failing: InboxStore = {
      claim: jest.fn<InboxStore['claim']>().mockRejectedValueOnce(new Error('redis down')).mockImplementation((...args) => store.claim(...args)),
      commit: (...args) => store.commit(...args),
      release: (...args) => store.release(...args),
    };
    const { transport, calls, send } = await startApp(() => undefined, {}, { idempotency: { store: failing } });
    await send('a', 'id-1');
    await waitFor(() => calls.length === 1, 'handled after the requeue', 5_000);
    await transport.waitForIdle();
    expect(transport.messages(Q.dlq)).toHaveLength(0);
    expect(transport.records.nacked.length).toBe(1);
    expect(logger.error.mock.calls.map(String).join('\n')).toContain('the inbox store failed (redis down)');
  });

  it('still works with a store written before renew existed, and warns at start that its leases are not renewed', async () => {
    const store = new MemoryInboxStore();
    const legacy: InboxStore = {
      claim: (...args) => store.claim(...args),
      commit: (...args) => store.commit(...args),
      release: (...args) => store.release(...args),
    };
    const { transport, calls, send } = await startApp(() => undefined, {}, { idempotency: { store: legacy, leaseMs: 5_000 } });
    expect(logger.warnings().filter((w) => w.includes('has no renew(): claims are not renewed'))).toHaveLength(1);
    await send('a', 'id-1');
    await send('a', 'id-1');
    await transport.waitForIdle();
    expect(calls).toEqual(['a']);
  });

  it('acks a handled message even when the commit fails, and logs the error', async () => {
    const store = new MemoryInboxStore();
    jest.spyOn(store, 'commit').mockRejectedValue(new Error('redis down'));
    const { transport, calls, send } = await startApp(() => undefined, {}, { idempotency: { store } });
    await send('a', 'id-1');
    await transport.waitForIdle();
    expect(calls).toEqual(['a']);
    expect(transport.records.acked).toHaveLength(1);
    expect(transport.messages(Q.dlq)).toHaveLength(0);
    expect(logger.error.mock.calls.map(String).join('\n')).toContain('could not commit message id-1');
  });
});
