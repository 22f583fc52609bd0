import { afterEach, describe, expect, it } from '@jest/globals';
import { Injectable, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  Consumer,
  FAILURE_HEADERS,
  MemoryTransport,
  MessageAlreadySettledError,
  MessageContext,
  MessageValidationError,
  MessagingModule,
  Producer,
  TypedProducer,
  UnroutableMessageError,
  type ConsumerOptions,
  type ContractOutput,
  type TopologyDefinition,
} from '../../../lib/index.js';
import { waitFor } from '../../fixtures/wait-for.fixture.js';
import { OrderPlaced, ordersTopology, Q } from '../../fixtures/orders.fixture.js';

type Order = ContractOutput<typeof OrderPlaced>;
type Behaviour = (order: Order, ctx: MessageContext<Order>) => unknown;

/** One app per test: a consumer whose behaviour the test supplies, and a producer. */
async function startApp(behaviour: Behaviour, options: Partial<ConsumerOptions> = {}, topology: TopologyDefinition = ordersTopology) {
  const transport = new MemoryTransport();
  const seen: Order[] = [];
  @Injectable()
  class TestConsumer {
    @Consumer(OrderPlaced, { queue: Q.work, ...options })
    async handle(order: Order, ctx: MessageContext<Order>): Promise<void> {
      seen.push(order);
      await behaviour(order, ctx);
    }
  }
  @Injectable()
  class Sender {
    constructor(@Producer(OrderPlaced) readonly producer: TypedProducer<typeof OrderPlaced>) {}
  }
  const app = await Test.createTestingModule({
    imports: [MessagingModule.forRoot({ transport, topology, shutdownTimeoutMs: 300 }), MessagingModule.forFeature([OrderPlaced])],
    providers: [TestConsumer, Sender],
  }).compile();
  await app.init();
  opened.push(app);
  return { app, transport, seen, producer: app.get(Sender).producer };
}

const opened: INestApplicationContext[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((app) => app.close()));
});

const order = (id: string, totalCents = 100) => ({ orderId: id, totalCents });
const headersOf = (transport: MemoryTransport, queue: string) => transport.messages(queue).map((m) => m.properties.headers ?? {});

describe('auto ack', () => {
  it('acks when the handler resolves', async () => {
    const { transport, producer, seen } = await startApp(() => undefined);
    await producer.send(order('a'));
    await producer.send(order('b'));
    await transport.waitForIdle();
    expect(seen.map((o) => o.orderId)).toEqual(['a', 'b']);
    expect(transport.queueDepth(Q.work)).toEqual({ ready: 0, unacked: 0 });
    expect(transport.messages(Q.dlq)).toHaveLength(0);
  });

  it('dead-letters a throwing handler with the error recorded, and keeps consuming', async () => {
    const { transport, producer, seen } = await startApp((o) => {
      if (o.orderId === 'bad') throw new TypeError('inventory service down');
    });
    const { messageId } = await producer.send(order('bad'), { headers: { tenant: 't1' } });
    await producer.send(order('good'));
    await transport.waitForIdle();
    expect(seen.map((o) => o.orderId)).toEqual(['bad', 'good']);
    const [dead] = transport.messages(Q.dlq);
    expect(dead?.properties.messageId).toBe(messageId);
    expect(JSON.parse(dead!.body.toString())).toEqual(order('bad'));
    expect(dead?.properties.headers).toMatchObject({
      tenant: 't1',
      [FAILURE_HEADERS.kind]: 'handler',
      [FAILURE_HEADERS.reason]: 'inventory service down',
      [FAILURE_HEADERS.error]: 'TypeError',
      [FAILURE_HEADERS.queue]: Q.work,
      [FAILURE_HEADERS.consumer]: 'TestConsumer.handle',
      [FAILURE_HEADERS.originalExchange]: 'test.orders',
      [FAILURE_HEADERS.originalRoutingKey]: 'test.orders.placed',
    });
    // Stack traces are opt-in (failureHeaders.stack): they reveal code layout to whoever reads the DLQ.
    expect(dead?.properties.headers?.[FAILURE_HEADERS.stack]).toBeUndefined();
    expect(transport.queueDepth(Q.work)).toEqual({ ready: 0, unacked: 0 });
  });

  it('dead-letters an invalid payload with the validation issues, without calling the handler', async () => {
    const { transport, seen } = await startApp(() => undefined);
    await transport.publish({
      exchange: 'test.orders',
      routingKey: 'test.orders.placed',
      body: Buffer.from(JSON.stringify({ orderId: '', totalCents: 'ten' })),
      properties: { contentType: 'application/json', messageId: 'm-invalid' },
      mandatory: true,
    });
    await transport.waitForIdle();
    expect(seen).toHaveLength(0);
    const [headers] = headersOf(transport, Q.dlq);
    expect(headers?.[FAILURE_HEADERS.kind]).toBe('validation');
    expect(headers?.[FAILURE_HEADERS.error]).toBe('MessageValidationError');
    expect(String(headers?.[FAILURE_HEADERS.reason])).toContain('does not match contract "test.orders.placed"');
    const issues = JSON.parse(String(headers?.[FAILURE_HEADERS.issues])) as Array<{ path: string }>;
    expect(issues.map((i) => i.path).sort()).toEqual(['orderId', 'totalCents']);
  });

  it.each([
    ['malformed JSON', Buffer.from('{"orderId": "x",'), 'application/json', /not valid JSON/],
    ['a foreign content type', Buffer.from([0, 1, 2]), 'application/octet-stream', /unsupported content type/],
  ])('dead-letters %s as a decode failure', async (_label, body, contentType, reason) => {
    const { transport, seen } = await startApp(() => undefined);
    await transport.publish({ exchange: 'test.orders', routingKey: 'test.orders.x', body, properties: { contentType }, mandatory: true });
    await transport.waitForIdle();
    expect(seen).toHaveLength(0);
    const [dead] = transport.messages(Q.dlq);
    expect(dead?.body.equals(body)).toBe(true);
    expect(dead?.properties.headers?.[FAILURE_HEADERS.kind]).toBe('decode');
    expect(String(dead?.properties.headers?.[FAILURE_HEADERS.reason])).toMatch(reason);
  });

  it('sends a failure on a queue without a dead-letter exchange to its default error queue (<queue>.error), and keeps consuming', async () => {
    const topology: TopologyDefinition = { ...ordersTopology, queues: [{ name: Q.work }, { name: Q.dlq }] };
    const { transport, producer, seen } = await startApp(() => Promise.reject(new Error('boom')), {}, topology);
    await producer.send(order('x'));
    await producer.send(order('y'));
    await transport.waitForIdle();
    expect(seen).toHaveLength(2);
    expect(transport.queueDepth(Q.work)).toEqual({ ready: 0, unacked: 0 });
    expect(transport.messages(Q.dlq)).toHaveLength(0);
    // Not discarded: errorQueues (default true) gave the queue `<queue>.error`, and both copies are there.
    expect(headersOf(transport, `${Q.work}.error`)).toEqual([
      expect.objectContaining({ [FAILURE_HEADERS.kind]: 'handler', [FAILURE_HEADERS.reason]: 'boom', [FAILURE_HEADERS.queue]: Q.work }),
      expect.objectContaining({ [FAILURE_HEADERS.kind]: 'handler', [FAILURE_HEADERS.reason]: 'boom', [FAILURE_HEADERS.queue]: Q.work }),
    ]);
  });

  it('lets an explicit settle win over the automatic ack', async () => {
    const { transport, producer } = await startApp((o, ctx) => (o.orderId === 'r' ? ctx.reject('not for us') : ctx.ack()));
    await producer.send(order('r'));
    await producer.send(order('ok'));
    await transport.waitForIdle();
    expect(headersOf(transport, Q.dlq)).toEqual([expect.objectContaining({ [FAILURE_HEADERS.kind]: 'rejected', [FAILURE_HEADERS.reason]: 'not for us' })]);
  });
});

describe('manual ack', () => {
  it('holds the message until the handler acks, even after it returned', async () => {
    const pending: Array<MessageContext<Order>> = [];
    const { transport, producer } = await startApp((_o, ctx) => void pending.push(ctx), { ack: 'manual', prefetch: 1 });
    await producer.send(order('1'));
    await producer.send(order('2'));
    await waitFor(() => pending.length === 1, 'pending.length === 1');
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(pending).toHaveLength(1);
    expect(transport.queueDepth(Q.work)).toEqual({ ready: 1, unacked: 1 });
    pending[0]!.ack();
    await waitFor(() => pending.length === 2, 'pending.length === 2');
    pending[1]!.ack();
    await transport.waitForIdle();
    expect(transport.queueDepth(Q.work)).toEqual({ ready: 0, unacked: 0 });
  });

  it('nack requeues and the message comes back marked redelivered', async () => {
    const deliveries: boolean[] = [];
    const { transport, producer } = await startApp(
      (_o, ctx) => {
        deliveries.push(ctx.redelivered);
        if (deliveries.length === 1) ctx.nack({ requeue: true });
        else ctx.ack();
      },
      { ack: 'manual' },
    );
    await producer.send(order('n'));
    await transport.waitForIdle();
    expect(deliveries).toEqual([false, true]);
  });

  it('nack without requeue lets the broker dead-letter it (x-death, no recorded reason)', async () => {
    const { transport, producer } = await startApp((_o, ctx) => ctx.nack({ requeue: false }), { ack: 'manual' });
    await producer.send(order('n'));
    await transport.waitForIdle();
    const [headers] = headersOf(transport, Q.dlq);
    expect(headers?.['x-death']).toBeDefined();
    expect(headers?.[FAILURE_HEADERS.kind]).toBeUndefined();
  });

  it('reject records the reason; a throw before settling dead-letters too', async () => {
    const { transport, producer } = await startApp(
      async (o, ctx) => {
        if (o.orderId === 'reject') await ctx.reject(new RangeError('total out of range'));
        else throw new Error('crashed before ack');
      },
      { ack: 'manual' },
    );
    await producer.send(order('reject'));
    await producer.send(order('throw'));
    await transport.waitForIdle();
    const kinds = headersOf(transport, Q.dlq).map((h) => [h[FAILURE_HEADERS.kind], h[FAILURE_HEADERS.error], h[FAILURE_HEADERS.reason]]);
    expect(kinds).toEqual([
      ['rejected', 'RangeError', 'total out of range'],
      ['handler', 'Error', 'crashed before ack'],
    ]);
  });

  it('a second settle throws MessageAlreadySettledError and never reaches the broker', async () => {
    const errors: unknown[] = [];
    const { transport, producer } = await startApp(
      (_o, ctx) => {
        ctx.ack();
        try {
          ctx.nack();
        } catch (error) {
          errors.push(error);
        }
      },
      { ack: 'manual' },
    );
    await producer.send(order('twice'));
    await transport.waitForIdle();
    expect(errors[0]).toBeInstanceOf(MessageAlreadySettledError);
    expect(transport.queueDepth(Q.work)).toEqual({ ready: 0, unacked: 0 });
    expect(transport.messages(Q.dlq)).toHaveLength(0);
  });
});

describe('concurrency and prefetch', () => {
  it('never runs more than `concurrency` handlers at once', async () => {
    let running = 0;
    let peak = 0;
    const { transport, producer, seen } = await startApp(
      async () => {
        peak = Math.max(peak, ++running);
        await new Promise((resolve) => setTimeout(resolve, 10));
        running--;
      },
      { prefetch: 8, concurrency: 3 },
    );
    await Promise.all(Array.from({ length: 30 }, (_, i) => producer.send(order(`c${i}`))));
    await transport.waitForIdle({ timeoutMs: 10_000 });
    expect(seen).toHaveLength(30);
    expect(peak).toBe(3);
  });
});

describe('producer', () => {
  it('refuses an invalid payload before publishing it (and a wrong shape does not compile: type test, npm run typecheck)', async () => {
    const { transport, producer } = await startApp(() => undefined);
    const invalid = { orderId: 'x', totalCents: -1 };
    await expect(producer.send(invalid)).rejects.toBeInstanceOf(MessageValidationError);
    // Type test within: the @ts-expect-error below is checked by `npm run typecheck` (run first by `npm test`),
    // not by jest (isolatedModules); at run time the same call is refused with MessageValidationError.
    // @ts-expect-error a wrong shape does not compile
    await expect(producer.send({ orderId: 1 })).rejects.toThrow(MessageValidationError);
    await transport.waitForIdle();
    expect(transport.queueDepth(Q.work).ready + transport.messages(Q.dlq).length).toBe(0);
  });

  it('rejects an unroutable mandatory message with UnroutableMessageError', async () => {
    const { producer } = await startApp(() => undefined);
    const error = await producer.send(order('u'), { routingKey: 'elsewhere' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnroutableMessageError);
    expect(error).toMatchObject({ exchange: 'test.orders', routingKey: 'elsewhere' });
  });

  it('sends properties: message id, correlation id, type, persistent, timestamp', async () => {
    const received: Array<MessageContext<Order>> = [];
    const { transport, producer } = await startApp((_o, ctx) => void received.push(ctx));
    const { messageId } = await producer.send(order('p'), { correlationId: 'corr-1', messageId: 'fixed-id' });
    await transport.waitForIdle();
    expect(messageId).toBe('fixed-id');
    expect(received[0]?.properties).toMatchObject({
      messageId: 'fixed-id',
      correlationId: 'corr-1',
      type: 'test.orders.placed',
      contentType: 'application/json',
      persistent: true,
    });
    expect(Math.abs(received[0]!.properties.timestamp! - Date.now() / 1000)).toBeLessThan(5);
  });
});

describe('redelivery after a connection loss', () => {
  it('a handler finishing after its channel died does not ack; the message is processed again', async () => {
    let calls = 0;
    let release!: () => void;
    const firstCallBlocked = new Promise<void>((resolve) => (release = resolve));
    const { transport, producer, seen } = await startApp(async () => {
      if (++calls === 1) await firstCallBlocked;
    });
    await producer.send(order('lost-ack'));
    await waitFor(() => calls === 1, 'calls === 1');
    transport.simulateConnectionLoss();
    release();
    await transport.waitForIdle();
    expect(seen.map((o) => o.orderId)).toEqual(['lost-ack', 'lost-ack']);
    expect(transport.queueDepth(Q.work)).toEqual({ ready: 0, unacked: 0 });
  });
});

describe('graceful shutdown', () => {
  it('lets in-flight handlers finish and ack before closing; the rest stays queued', async () => {
    let finished = 0;
    const { app, transport, producer } = await startApp(
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 100));
        finished++;
      },
      { prefetch: 2, concurrency: 2 },
    );
    await Promise.all(Array.from({ length: 6 }, (_, i) => producer.send(order(`s${i}`))));
    await waitFor(() => transport.queueDepth(Q.work).unacked === 2, 'transport.queueDepth(Q.work).unacked === 2');
    await app.close();
    opened.splice(opened.indexOf(app), 1);
    expect(finished).toBe(2);
    expect(transport.queueDepth(Q.work)).toEqual({ ready: 4, unacked: 0 });
  });

  it('gives up on a hung handler after shutdownTimeoutMs; its message returns to the queue', async () => {
    const { app, transport, producer } = await startApp(() => new Promise(() => undefined));
    await producer.send(order('hung'));
    await waitFor(() => transport.queueDepth(Q.work).unacked === 1, 'transport.queueDepth(Q.work).unacked === 1');
    const started = Date.now();
    await app.close();
    opened.splice(opened.indexOf(app), 1);
    // After shutdownTimeoutMs (300 ms here), not before (5 ms for clock granularity); 400 ms of margin
    // for a loaded 2-core machine.
    const elapsedMs = Date.now() - started;
    expect(elapsedMs).toBeGreaterThanOrEqual(300 - 5);
    expect(elapsedMs).toBeLessThanOrEqual(300 + 400);
    expect(transport.queueDepth(Q.work)).toEqual({ ready: 1, unacked: 0 });
    expect(transport.messages(Q.work)[0]?.redelivered).toBe(true);
  });
});
