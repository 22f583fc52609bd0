import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { ForbiddenException, Injectable, UseGuards, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import {
  Consumer,
  FAILURE_HEADERS,
  getMessageContext,
  MessageDeniedError,
  type ContractOutput,
  type MessageContext,
  type MessagingContextType,
} from '../../../lib/index.js';
import { muteNestLogger, type MutedLogger } from '../../fixtures/logger.fixture.js';
import { order, startConsumerApp, type NestConsumerApp } from '../../fixtures/nest-consumer-app.fixture.js';
import { OrderPlaced, Q } from '../../fixtures/orders.fixture.js';

type Order = ContractOutput<typeof OrderPlaced>;

const handled: string[] = [];
const seenByGuard: Array<{ type: string; handler: string; cls: string; contract: string; consumer: string }> = [];

/** Lets every order through except `blocked`, recording what it saw of the context. */
@Injectable()
class BlockingGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const message = getMessageContext<Order>(context);
    seenByGuard.push({
      type: context.getType<MessagingContextType>(),
      handler: context.getHandler().name,
      cls: context.getClass().name,
      contract: message.contract,
      consumer: message.consumer,
    });
    return message.payload.orderId !== 'blocked';
  }
}

@Injectable()
class ReasonGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const message = getMessageContext(context);
    if (message.headers['tenant'] !== 'acme') throw new MessageDeniedError(message.consumer, 'unknown tenant');
    return true;
  }
}

@Injectable()
class MethodGuarded {
  @UseGuards(BlockingGuard)
  @Consumer(OrderPlaced, { queue: Q.work })
  handle(o: Order): void {
    handled.push(o.orderId);
  }
}

@Injectable()
@UseGuards(ReasonGuard)
class ClassGuarded {
  @Consumer(OrderPlaced, { queue: Q.work, name: 'tenant-check' })
  handle(o: Order): void {
    handled.push(o.orderId);
  }
}

@Injectable()
class Plain {
  @Consumer(OrderPlaced, { queue: Q.work })
  handle(o: Order, _ctx: MessageContext<Order>): void {
    if (o.orderId === 'self-forbidden') throw new ForbiddenException();
    handled.push(o.orderId);
  }
}

let logger: MutedLogger;
let running: NestConsumerApp | undefined;
beforeAll(() => {
  logger = muteNestLogger();
});
afterAll(() => logger.restore());
afterEach(async () => {
  await running?.app.close();
  running = undefined;
  handled.length = 0;
  seenByGuard.length = 0;
});

async function start(...providers: Parameters<typeof startConsumerApp>[0]): Promise<NestConsumerApp> {
  running = await startConsumerApp(providers);
  return running;
}

describe('guards', () => {
  it('an allowing guard lets the handler run and the message is acked', async () => {
    const { producer, transport } = await start(MethodGuarded, BlockingGuard);
    await producer.send(order('ok'));
    await transport.waitForIdle();
    expect(handled).toEqual(['ok']);
    expect(transport.queueDepth(Q.work)).toEqual({ ready: 0, unacked: 0 });
    expect(transport.messages(Q.dlq)).toHaveLength(0);
  });

  it('sees a messaging execution context with the handler, class, contract and consumer', async () => {
    const { producer, transport } = await start(MethodGuarded, BlockingGuard);
    await producer.send(order('ok'));
    await transport.waitForIdle();
    expect(seenByGuard).toEqual([
      { type: 'messaging', handler: 'handle', cls: 'MethodGuarded', contract: OrderPlaced.name, consumer: 'MethodGuarded.handle' },
    ]);
  });

  it('a denial dead-letters the message with kind "denied" without calling the handler', async () => {
    const { producer, transport, dlqHeaders } = await start(MethodGuarded, BlockingGuard);
    await producer.send(order('blocked'));
    await producer.send(order('next'));
    await transport.waitForIdle();
    expect(handled).toEqual(['next']);
    expect(dlqHeaders()).toEqual([
      expect.objectContaining({
        [FAILURE_HEADERS.kind]: 'denied',
        [FAILURE_HEADERS.error]: 'MessageDeniedError',
        [FAILURE_HEADERS.reason]: 'Consumer MethodGuarded.handle denied the message: a guard refused it',
        [FAILURE_HEADERS.consumer]: 'MethodGuarded.handle',
      }),
    ]);
    expect(dlqHeaders()[0]?.[FAILURE_HEADERS.stack]).toBeUndefined();
  });

  it('a class-level guard applies, and may throw MessageDeniedError with its own reason', async () => {
    const { producer, transport, dlqHeaders } = await start(ClassGuarded, ReasonGuard);
    await producer.send(order('in'), { headers: { tenant: 'acme' } });
    await producer.send(order('out'), { headers: { tenant: 'other' } });
    await transport.waitForIdle();
    expect(handled).toEqual(['in']);
    expect(dlqHeaders().map((h) => [h[FAILURE_HEADERS.kind], h[FAILURE_HEADERS.reason]])).toEqual([
      ['denied', 'Consumer tenant-check denied the message: unknown tenant'],
    ]);
  });

  it('a global APP_GUARD applies to a handler without decorators', async () => {
    const { producer, transport, dlqHeaders } = await start(Plain, { provide: APP_GUARD, useClass: BlockingGuard });
    await producer.send(order('blocked'));
    await producer.send(order('fine'));
    await transport.waitForIdle();
    expect(handled).toEqual(['fine']);
    expect(seenByGuard.map((s) => s.cls)).toEqual(['Plain', 'Plain']);
    expect(dlqHeaders().map((h) => h[FAILURE_HEADERS.kind])).toEqual(['denied']);
  });

  it("a ForbiddenException the handler throws itself is a handler failure, not a denial", async () => {
    const { producer, transport, dlqHeaders } = await start(Plain, { provide: APP_GUARD, useClass: BlockingGuard });
    await producer.send(order('self-forbidden'));
    await transport.waitForIdle();
    expect(dlqHeaders().map((h) => [h[FAILURE_HEADERS.kind], h[FAILURE_HEADERS.error]])).toEqual([['handler', 'ForbiddenException']]);
  });
});
