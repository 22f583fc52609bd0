import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { Injectable, Logger, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  Consumer,
  MemoryTransport,
  MessageContext,
  MessagePublisher,
  MessagingEventBus,
  MessagingModule,
  OnMessagingEvent,
  UnroutableMessageError,
  type ConsumeMiddleware,
  type ConsumeMiddlewareContext,
  type MessagingEventMap,
  type MessagingModuleOptions,
  type PublishMiddleware,
} from '../../../lib/index.js';
import { OrderPlaced, ordersTopology, Q } from '../../fixtures/orders.fixture.js';

const seen: Array<{ event: string; payload: unknown }> = [];

@Injectable()
class Auditor {
  @OnMessagingEvent('message.dead-lettered')
  onDeadLetter(event: MessagingEventMap['message.dead-lettered']): void {
    seen.push({ event: 'decorated:dead-lettered', payload: event });
  }
}

@Injectable()
class Billing {
  @Consumer(OrderPlaced, { queue: Q.work })
  charge(order: { orderId: string }): void {
    if (order.orderId === 'bad') throw new Error('declined');
  }
}

const opened: INestApplicationContext[] = [];
afterEach(async () => {
  seen.length = 0;
  jest.restoreAllMocks();
  await Promise.all(opened.splice(0).map((app) => app.close()));
});

async function start(options: Partial<MessagingModuleOptions> = {}, providers: unknown[] = [Billing, Auditor]) {
  const transport = new MemoryTransport();
  const app = await Test.createTestingModule({
    imports: [MessagingModule.forRoot({ transport, topology: ordersTopology, ...options })],
    providers: providers as never[],
  }).compile();
  await app.init();
  opened.push(app);
  return { transport, publisher: app.get(MessagePublisher), events: app.get(MessagingEventBus) };
}

describe('messaging events', () => {
  it('emits the publish and consume events with what happened, to injected and decorated listeners', async () => {
    const { transport, publisher, events } = await start();
    for (const name of ['publish.sent', 'publish.confirmed', 'message.received', 'message.handled', 'message.acked', 'message.dead-lettered'] as const) {
      events.on(name, (payload) => seen.push({ event: name, payload }));
    }
    const { messageId } = await publisher.publish(OrderPlaced, { orderId: 'ok', totalCents: 1 });
    await publisher.publish(OrderPlaced, { orderId: 'bad', totalCents: 1 });
    await transport.waitForIdle();
    const names = seen.map((s) => s.event);
    expect(names.filter((n) => n === 'publish.confirmed')).toHaveLength(2);
    expect(names.filter((n) => n === 'message.acked')).toHaveLength(1);
    expect(names.filter((n) => n === 'message.handled')).toHaveLength(2);
    const confirmed = seen.find((s) => s.event === 'publish.confirmed')?.payload as MessagingEventMap['publish.confirmed'];
    expect(confirmed.message).toMatchObject({ exchange: 'test.orders', routingKey: 'test.orders.placed', messageId, type: OrderPlaced.name });
    expect(confirmed.durationMs).toBeGreaterThanOrEqual(0);
    const received = seen.find((s) => s.event === 'message.received')?.payload as MessagingEventMap['message.received'];
    expect(received.message).toMatchObject({ queue: Q.work, consumer: 'Billing.charge', messageId, attempt: 1, redelivered: false });
    const handled = seen.filter((s) => s.event === 'message.handled').map((s) => s.payload as MessagingEventMap['message.handled']);
    expect(handled.map((h) => h.outcome).sort()).toEqual(['acked', 'dead-lettered']);
    expect(handled.find((h) => h.outcome === 'dead-lettered')?.error?.message).toBe('declined');
    const deadLettered = seen.filter((s) => s.event === 'message.dead-lettered' || s.event === 'decorated:dead-lettered');
    expect(deadLettered).toHaveLength(2);
    expect(deadLettered[0]!.payload).toMatchObject({ kind: 'handler', reason: 'declined', outcome: 'dead-lettered', message: { queue: Q.work } });
  });

  it('reports a returned publish as publish.returned only, and failures as publish.failed', async () => {
    const { publisher, events } = await start({}, []);
    const outcomes: string[] = [];
    events.on('publish.returned', (e) => outcomes.push(`returned:${e.error.name}`));
    events.on('publish.failed', (e) => outcomes.push(`failed:${e.error.name}`));
    await expect(publisher.publish(OrderPlaced, { orderId: 'x', totalCents: 1 }, { routingKey: 'nowhere' })).rejects.toThrow(UnroutableMessageError);
    expect(outcomes).toEqual(['returned:UnroutableMessageError']);
  });

  it('builds and emits nothing when no one listens', async () => {
    const emit = jest.spyOn(MessagingEventBus.prototype, 'emit');
    const { transport, publisher } = await start({}, [Billing]);
    await publisher.publish(OrderPlaced, { orderId: 'ok', totalCents: 1 });
    await transport.waitForIdle();
    // Connection events are rare and cheap; the publish and consume path must not emit at all.
    expect(emit.mock.calls.map(([name]) => name).filter((name) => !name.startsWith('connection.'))).toEqual([]);
  });

  it('message.retried carries the delay and the failed attempt', async () => {
    let runs = 0;
    @Injectable()
    class Flaky {
      @Consumer(OrderPlaced, { queue: Q.work, retry: { delayed: [15] } })
      charge(): void {
        if (++runs === 1) throw new Error('blip');
      }
    }
    const { transport, publisher, events } = await start({}, [Flaky]);
    const retried: Array<MessagingEventMap['message.retried']> = [];
    events.on('message.retried', (e) => retried.push(e));
    await publisher.publish(OrderPlaced, { orderId: 'a', totalCents: 1 });
    await transport.waitFor(() => runs === 2);
    await transport.waitForIdle();
    expect(retried).toHaveLength(1);
    expect(retried[0]).toMatchObject({ delayMs: 15, attempt: 1, error: { message: 'blip' }, message: { queue: Q.work, consumer: 'Flaky.charge' } });
  });

  it('message.nacked reports a nack with its requeue flag; the redelivery that is acked reports message.acked', async () => {
    let runs = 0;
    @Injectable()
    class Picky {
      @Consumer(OrderPlaced, { queue: Q.work, ack: 'manual' })
      charge(_order: unknown, ctx: MessageContext<unknown>): void {
        if (++runs === 1) ctx.nack({ requeue: true });
        else ctx.ack();
      }
    }
    const { transport, publisher, events } = await start({}, [Picky]);
    const settled: string[] = [];
    const nacked: Array<MessagingEventMap['message.nacked']> = [];
    events.on('message.nacked', (e) => {
      nacked.push(e);
      settled.push('nacked');
    });
    events.on('message.acked', () => settled.push('acked'));
    const { messageId } = await publisher.publish(OrderPlaced, { orderId: 'n', totalCents: 1 });
    await transport.waitFor(() => runs === 2);
    await transport.waitForIdle();
    expect(settled).toEqual(['nacked', 'acked']);
    expect(nacked[0]).toMatchObject({ requeue: true, message: { queue: Q.work, consumer: 'Picky.charge', messageId, attempt: 1, redelivered: false } });
  });

  it('connection events come from the transport (the memory transport reports simulated losses)', async () => {
    const { transport, events } = await start({}, []);
    const names: string[] = [];
    events.on('connection.lost', (e) => names.push(`lost:${e.error?.message}`));
    events.on('connection.reconnected', (e) => names.push(`reconnected:${e.url}:${e.downtimeMs}`));
    transport.simulateConnectionLoss();
    expect(names).toEqual(['lost:simulated connection loss', 'reconnected:memory://in-process:0']);
  });

  it('a listener that throws is logged and the others still run', async () => {
    const { transport, publisher, events } = await start({}, [Billing]);
    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const calls: string[] = [];
    events.on('message.acked', () => {
      throw new Error('listener bug');
    });
    events.on('message.acked', () => calls.push('second'));
    await publisher.publish(OrderPlaced, { orderId: 'ok', totalCents: 1 });
    await transport.waitForIdle();
    expect(calls).toEqual(['second']);
    expect(logged).toHaveBeenCalledWith(expect.stringContaining('A "message.acked" listener threw: listener bug'));
    expect(transport.queueDepth(Q.work)).toEqual({ ready: 0, unacked: 0 });
  });
});

describe('middlewares', () => {
  it('publish middlewares run in order around the send and may add headers', async () => {
    const order: string[] = [];
    const tenant: PublishMiddleware = async (message, next) => {
      order.push('tenant:before');
      await next({ ...message, properties: { ...message.properties, headers: { ...message.properties.headers, tenant: 'acme' } } });
      order.push('tenant:after');
    };
    const timing: PublishMiddleware = async (message, next) => {
      order.push('timing:before');
      await next(message);
      order.push('timing:after');
    };
    const { transport, publisher } = await start({ publishMiddleware: [tenant, timing] }, []);
    await publisher.publish(OrderPlaced, { orderId: 'a', totalCents: 1 });
    expect(order).toEqual(['tenant:before', 'timing:before', 'timing:after', 'tenant:after']);
    expect(transport.messages(Q.work)[0]?.properties.headers).toMatchObject({ tenant: 'acme' });
  });

  it('consume middlewares wrap the processing and see the consumer, the outcome and the error', async () => {
    const contexts: ConsumeMiddlewareContext[] = [];
    const observe: ConsumeMiddleware = async (context, next) => {
      await next();
      contexts.push({ ...context });
    };
    const { transport, publisher } = await start({ consumeMiddleware: [observe] }, [Billing]);
    await publisher.publish(OrderPlaced, { orderId: 'ok', totalCents: 1 });
    await publisher.publish(OrderPlaced, { orderId: 'bad', totalCents: 1 });
    await transport.waitForIdle();
    expect(contexts.map((c) => [c.consumer, c.outcome, c.error?.message, c.attempt])).toEqual([
      ['Billing.charge', 'acked', undefined, 1],
      ['Billing.charge', 'dead-lettered', 'declined', 1],
    ]);
  });
});
