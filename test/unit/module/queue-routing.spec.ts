import { afterEach, describe, expect, it } from '@jest/globals';
import { Injectable, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { z } from 'zod';
import {
  Consumer,
  ConsumerDefinitionError,
  defineContract,
  FAILURE_HEADERS,
  MemoryTransport,
  MessageContext,
  MessagePublisher,
  MessagingModule,
  type ContractOutput,
  type MessagingModuleOptions,
} from '../../../lib/index.js';
import { muteNestLogger } from '../../fixtures/logger.fixture.js';
import { OrderPlaced, ordersTopology, Q } from '../../fixtures/orders.fixture.js';

/** A second contract on the same exchange and queue as OrderPlaced (the queue binds `test.orders.#`). */
const OrderCancelled = defineContract({
  name: 'test.orders.cancelled',
  exchange: 'test.orders',
  schema: z.object({ orderId: z.string(), reason: z.string() }),
});

const seen: string[] = [];

@Injectable()
class PlacedHandler {
  @Consumer(OrderPlaced, { queue: Q.work, prefetch: 5 })
  placed(order: ContractOutput<typeof OrderPlaced>): void {
    seen.push(`placed:${order.orderId}`);
  }
}

@Injectable()
class CancelledHandler {
  @Consumer(OrderCancelled, { queue: Q.work })
  cancelled(event: ContractOutput<typeof OrderCancelled>): void {
    seen.push(`cancelled:${event.orderId}:${event.reason}`);
  }
}

const opened: INestApplicationContext[] = [];
afterEach(async () => {
  seen.length = 0;
  await Promise.all(opened.splice(0).map((app) => app.close()));
});

async function start(providers: unknown[], options: Partial<MessagingModuleOptions> = {}) {
  const transport = new MemoryTransport();
  const app = await Test.createTestingModule({
    imports: [MessagingModule.forRoot({ transport, topology: ordersTopology, ...options })],
    providers: providers as never[],
  }).compile();
  await app.init();
  opened.push(app);
  return { transport, publisher: app.get(MessagePublisher) };
}

const raw = (type: string | undefined, body: unknown) => ({
  exchange: 'test.orders',
  routingKey: 'test.orders.raw',
  body: Buffer.from(JSON.stringify(body)),
  properties: { messageId: `raw-${type}`, contentType: 'application/json', ...(type === undefined ? {} : { type }) },
  mandatory: true,
});

describe('several contracts on one queue', () => {
  it('routes each message to the handler of its type, in one subscription', async () => {
    const { transport, publisher } = await start([PlacedHandler, CancelledHandler]);
    await publisher.publish(OrderPlaced, { orderId: 'a', totalCents: 10 });
    await publisher.publish(OrderCancelled, { orderId: 'a', reason: 'changed mind' });
    await publisher.publish(OrderPlaced, { orderId: 'b', totalCents: 20 });
    await transport.waitForIdle();
    expect(seen).toEqual(['placed:a', 'cancelled:a:changed mind', 'placed:b']);
    // One consumer on the queue, with the prefetch one handler set and the other inherited.
    expect(new Set(transport.records.delivered.map((d) => d.consumerTag)).size).toBe(1);
    expect(transport.records.delivered.every((d) => d.consumerName === 'PlacedHandler.placed+CancelledHandler.cancelled')).toBe(true);
    expect(transport.messages(Q.dlq)).toHaveLength(0);
  });

  it('dead-letters a message of a type no handler of the queue handles, with kind unknown-type', async () => {
    const { transport } = await start([PlacedHandler, CancelledHandler]);
    await transport.publish(raw('test.orders.shipped', { orderId: 'x' }));
    await transport.waitForIdle();
    expect(seen).toEqual([]);
    const [dead] = transport.messages(Q.dlq);
    expect(dead?.properties.headers).toMatchObject({
      [FAILURE_HEADERS.kind]: 'unknown-type',
      [FAILURE_HEADERS.error]: 'UnknownMessageTypeError',
      [FAILURE_HEADERS.consumer]: 'PlacedHandler.placed+CancelledHandler.cancelled',
    });
    expect(String(dead?.properties.headers?.[FAILURE_HEADERS.reason])).toContain('"test.orders.shipped" has no handler on queue "test.orders.work"');
  });

  it('a message without a type is unknown on a queue with several contracts', async () => {
    const { transport } = await start([PlacedHandler, CancelledHandler]);
    await transport.publish(raw(undefined, { orderId: 'x', totalCents: 1 }));
    await transport.waitForIdle();
    expect(seen).toEqual([]);
    expect(transport.messages(Q.dlq)[0]?.properties.headers?.[FAILURE_HEADERS.kind]).toBe('unknown-type');
  });

  it('a message without a type goes to the only handler of a single-contract queue', async () => {
    const { transport } = await start([PlacedHandler]);
    await transport.publish(raw(undefined, { orderId: 'legacy', totalCents: 1 }));
    await transport.waitForIdle();
    expect(seen).toEqual(['placed:legacy']);
  });

  it("unknownMessageType: 'ack' drops unknown types with a warning instead", async () => {
    const logger = muteNestLogger();
    try {
      const { transport } = await start([PlacedHandler], { consumerDefaults: { unknownMessageType: 'ack' } });
      await transport.publish(raw('test.orders.shipped', { orderId: 'x' }));
      await transport.waitForIdle();
      expect(transport.messages(Q.dlq)).toHaveLength(0);
      expect(transport.queueDepth(Q.work)).toEqual({ ready: 0, unacked: 0 });
      expect(transport.records.acked).toHaveLength(1);
      expect(logger.warnings()).toContainEqual(expect.stringMatching(/test\.orders\.shipped.*acknowledged and dropped \(unknownMessageType: 'ack'\)/));
    } finally {
      logger.restore();
    }
  });

  it('refuses handlers of one queue that disagree on a queue-level setting, naming both', async () => {
    @Injectable()
    class Greedy {
      @Consumer(OrderCancelled, { queue: Q.work, prefetch: 50 })
      cancelled(): void {}
    }
    const moduleRef = await Test.createTestingModule({
      imports: [MessagingModule.forRoot({ topology: ordersTopology })],
      providers: [PlacedHandler, Greedy],
    }).compile();
    const error = await moduleRef.init().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConsumerDefinitionError);
    expect((error as Error).message).toMatch(/PlacedHandler\.placed sets prefetch 5 but Greedy\.cancelled sets 50/);
  });
});

describe('message limits', () => {
  it('dead-letters a body over maxMessageBytes unparsed, with kind oversized', async () => {
    const { transport, publisher } = await start([PlacedHandler], { maxMessageBytes: 64 });
    await publisher.publish(OrderPlaced, { orderId: 'x'.repeat(100), totalCents: 1 });
    await publisher.publish(OrderPlaced, { orderId: 'small', totalCents: 1 });
    await transport.waitForIdle();
    expect(seen).toEqual(['placed:small']);
    const headers = transport.messages(Q.dlq)[0]?.properties.headers;
    expect(headers).toMatchObject({ [FAILURE_HEADERS.kind]: 'oversized', [FAILURE_HEADERS.error]: 'MessageTooLargeError' });
    expect(String(headers?.[FAILURE_HEADERS.reason])).toMatch(/of 1\d\d bytes exceeds maxMessageBytes 64/);
  });

  it('records handler stack traces only when failureHeaders.stack is on', async () => {
    @Injectable()
    class Failing {
      @Consumer(OrderPlaced, { queue: Q.work })
      placed(): void {
        throw new Error('database down');
      }
    }
    const { transport, publisher } = await start([Failing], { failureHeaders: { stack: true } });
    await publisher.publish(OrderPlaced, { orderId: 'a', totalCents: 1 });
    await transport.waitForIdle();
    const headers = transport.messages(Q.dlq)[0]?.properties.headers;
    expect(String(headers?.[FAILURE_HEADERS.stack])).toContain('database down');
  });
});

describe('acceptsAnyType', () => {
  const Audit = defineContract({ name: 'test.audit', exchange: 'test.orders.dlx', schema: z.unknown() });

  it('takes the types no other handler of the queue claims, while claimed types still go to their handler', async () => {
    @Injectable()
    class Auditor {
      @Consumer(Audit, { queue: Q.work, acceptsAnyType: true })
      audit(_payload: unknown, ctx: MessageContext): void {
        seen.push(`audit:${ctx.properties.type}`);
      }
    }
    const { transport, publisher } = await start([PlacedHandler, Auditor]);
    await publisher.publish(OrderPlaced, { orderId: 'a', totalCents: 1 });
    await transport.publish(raw('test.orders.shipped', { orderId: 'x' }));
    await transport.waitForIdle();
    expect(seen).toEqual(['placed:a', 'audit:test.orders.shipped']);
    expect(transport.messages(Q.dlq)).toHaveLength(0);
  });

  it('refuses two acceptsAnyType handlers on one queue', async () => {
    @Injectable()
    class TwoAuditors {
      @Consumer(Audit, { queue: Q.work, acceptsAnyType: true })
      one(): void {}
      @Consumer(OrderPlaced, { queue: Q.work, acceptsAnyType: true })
      two(): void {}
    }
    const moduleRef = await Test.createTestingModule({
      imports: [MessagingModule.forRoot({ topology: ordersTopology })],
      providers: [TwoAuditors],
    }).compile();
    await expect(moduleRef.init()).rejects.toThrow(/TwoAuditors\.one and TwoAuditors\.two both set acceptsAnyType/);
  });
});
