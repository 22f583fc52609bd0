import { afterAll, afterEach, beforeAll, expect, it, describe } from '@jest/globals';
import { Injectable, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  Consumer,
  InvalidOptionsError,
  MemoryTransport,
  MessageContext,
  MessagingModule,
  Producer,
  TypedProducer,
  type ContractOutput,
  type DeliveryStuckEvent,
  type DeliveryUnstuckEvent,
} from '../../../lib/index.js';
import { muteNestLogger, type MutedLogger } from '../../fixtures/logger.fixture.js';
import { OrderPlaced, ordersTopology, Q } from '../../fixtures/orders.fixture.js';
import { sleep, waitFor } from '../../fixtures/wait-for.fixture.js';

type Order = ContractOutput<typeof OrderPlaced>;

let logger: MutedLogger;
beforeAll(() => {
  logger = muteNestLogger();
});
afterAll(() => logger.restore());
const apps: INestApplicationContext[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

/** A manual-ack consumer that keeps every context and never settles on its own. */
async function startApp(stuckAfterMs: number | undefined) {
  const held: Array<MessageContext<Order>> = [];
  @Injectable()
  class Forgetful {
    @Consumer(OrderPlaced, { queue: Q.work, ack: 'manual', prefetch: 2 })
    handle(_order: Order, ctx: MessageContext<Order>): void {
      held.push(ctx);
    }
  }
  @Injectable()
  class Sender {
    constructor(@Producer(OrderPlaced) readonly producer: TypedProducer<typeof OrderPlaced>) {}
  }
  const transport = new MemoryTransport();
  const consumerDefaults = stuckAfterMs === undefined ? {} : { stuckAfterMs };
  const app = await Test.createTestingModule({
    imports: [
      MessagingModule.forRoot({ transport, topology: ordersTopology, shutdownTimeoutMs: 50, consumerDefaults }),
      MessagingModule.forFeature([OrderPlaced]),
    ],
    providers: [Forgetful, Sender],
  }).compile();
  apps.push(app);
  await app.init();
  return { transport, held, producer: app.get(Sender).producer };
}

describe('stuck-handler detection (consumerDefaults.stuckAfterMs)', () => {
  it('warns, emits delivery.stuck and counts it in stats when a delivery stays unsettled; unstuck once settled', async () => {
    const { transport, held, producer } = await startApp(80);
    const stuck: DeliveryStuckEvent[] = [];
    const unstuck: DeliveryUnstuckEvent[] = [];
    transport.events.on('delivery.stuck', (event) => stuck.push(event));
    transport.events.on('delivery.unstuck', (event) => unstuck.push(event));

    const { messageId } = await producer.send({ orderId: 'o-1', totalCents: 100 });
    await producer.send({ orderId: 'o-2', totalCents: 100 });
    await waitFor(() => held.length === 2, 'both delivered');
    await waitFor(() => stuck.length === 2, 'both reported stuck', 2_000);

    expect(stuck[0]).toMatchObject({ queue: Q.work, messageId, type: OrderPlaced.name, consumer: 'Forgetful.handle' });
    expect(stuck[0]!.unsettledForMs).toBeGreaterThanOrEqual(80);
    expect(transport.stats().stuckDeliveries).toBe(2);
    expect(logger.warnings()).toContainEqual(expect.stringContaining(`message ${messageId} on "${Q.work}" is still unsettled after 80 ms`));

    held[0]!.ack();
    await waitFor(() => unstuck.length === 1, 'unstuck after the ack');
    expect(unstuck[0]).toMatchObject({ messageId });
    expect(transport.stats().stuckDeliveries).toBe(1);
    held[1]!.nack({ requeue: false });
    await waitFor(() => transport.stats().stuckDeliveries === 0, 'none stuck');
  });

  it('reports nothing for deliveries settled in time, and nothing at all with stuckAfterMs: 0', async () => {
    for (const stuckAfterMs of [200, 0]) {
      const { transport, held, producer } = await startApp(stuckAfterMs);
      const stuck: DeliveryStuckEvent[] = [];
      transport.events.on('delivery.stuck', (event) => stuck.push(event));
      await producer.send({ orderId: 'o-1', totalCents: 100 });
      await waitFor(() => held.length === 1, 'delivered');
      if (stuckAfterMs > 0) held[0]!.ack();
      await sleep(300);
      expect(stuck).toEqual([]);
      expect(transport.stats().stuckDeliveries).toBe(0);
      if (held[0]!.settlementState === 'pending') held[0]!.ack();
    }
  });

  it('a listener that throws is logged and does not disturb the consumer', async () => {
    const { transport, held, producer } = await startApp(30);
    transport.events.on('delivery.stuck', () => {
      throw new Error('listener bug');
    });
    await producer.send({ orderId: 'o-1', totalCents: 100 });
    await waitFor(() => transport.stats().stuckDeliveries === 1, 'stuck');
    expect(logger.error.mock.calls.map((call) => String(call[0]))).toContainEqual(expect.stringContaining('listener bug'));
    held[0]!.ack();
    await waitFor(() => transport.stats().stuckDeliveries === 0, 'settled');
  });

  it('refuses a negative or fractional stuckAfterMs at boot', async () => {
    await expect(startApp(-1)).rejects.toThrow(InvalidOptionsError);
    apps.splice(0);
  });
});
