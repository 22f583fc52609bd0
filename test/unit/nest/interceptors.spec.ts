import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import {
  Injectable,
  UseInterceptors,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { APP_INTERCEPTOR, ExternalContextCreator } from '@nestjs/core';
import { catchError, map, of, tap, type Observable } from 'rxjs';
import { ConsumerHandlerFactory } from '../../../lib/consumer/index.js';
import { MessageContext } from '../../../lib/consumer/message.context.js';
import type { DeliverySettlement } from '../../../lib/consumer/delivery.settlement.js';
import { Consumer, FAILURE_HEADERS, getMessageContext, type ContractOutput } from '../../../lib/index.js';
import { muteNestLogger, type MutedLogger } from '../../fixtures/logger.fixture.js';
import { order, startConsumerApp, type NestConsumerApp } from '../../fixtures/nest-consumer-app.fixture.js';
import { OrderPlaced, Q } from '../../fixtures/orders.fixture.js';
import { waitFor } from '../../fixtures/wait-for.fixture.js';

type Order = ContractOutput<typeof OrderPlaced>;
const events: string[] = [];
/** Spies on Nest's context creator; restored one by one so the muted logger stays muted. */
const spies: Array<{ mockRestore(): void }> = [];
const spyOnCreate = () => {
  const spy = jest.spyOn(ExternalContextCreator.prototype, 'create');
  spies.push(spy);
  return spy;
};

@Injectable()
class TraceInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const message = getMessageContext<Order>(context);
    events.push(`before ${message.consumer} ${message.contract} ${message.payload.orderId} ${context.getType()}`);
    return next.handle().pipe(tap((result) => events.push(`after ${String(result)}`)));
  }
}

@Injectable()
class DoubleInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(map((result) => Number(result) * 2));
  }
}

@Injectable()
class RecoverInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(catchError((error: Error) => of(`recovered from ${error.message}`)));
  }
}

/** Settles through the context after the handler: the manual-mode ack lives in an interceptor. */
@Injectable()
class AckAfterInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(tap(() => getMessageContext(context).ack()));
  }
}

@Injectable()
class Traced {
  @UseInterceptors(TraceInterceptor, DoubleInterceptor)
  @Consumer(OrderPlaced, { queue: Q.work })
  handle(o: Order): number {
    events.push(`handler ${o.orderId}`);
    return o.totalCents;
  }
}

@Injectable()
@UseInterceptors(RecoverInterceptor)
class Recovering {
  @Consumer(OrderPlaced, { queue: Q.work })
  handle(o: Order): void {
    if (o.orderId === 'boom') throw new Error('boom');
  }
}

@Injectable()
class ManualWithInterceptor {
  @UseInterceptors(AckAfterInterceptor)
  @Consumer(OrderPlaced, { queue: Q.work, ack: 'manual' })
  handle(o: Order): void {
    events.push(`handler ${o.orderId}`);
  }
}

/** No decorators at all: the signature and `this` must be today's. */
@Injectable()
class Plain {
  readonly label = 'plain';
  @Consumer(OrderPlaced, { queue: Q.work })
  handle(...args: unknown[]): void {
    events.push(`handler ${this.label} ${args.length} ${(args[0] as Order).orderId} ${args[1] instanceof MessageContext}`);
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
  events.length = 0;
  for (const spy of spies.splice(0)) spy.mockRestore();
});

async function start(...providers: Parameters<typeof startConsumerApp>[0]): Promise<NestConsumerApp> {
  running = await startConsumerApp(providers);
  return running;
}

describe('interceptors', () => {
  it('run before and after the handler, in declaration order, and may map its result', async () => {
    const { producer, transport } = await start(Traced, TraceInterceptor, DoubleInterceptor);
    await producer.send(order('i1', 21));
    await transport.waitForIdle();
    expect(events).toEqual(['before Traced.handle test.orders.placed i1 messaging', 'handler i1', 'after 42']);
    expect(transport.queueDepth(Q.work)).toEqual({ ready: 0, unacked: 0 });
  });

  it('the invoker resolves with the mapped result', async () => {
    const { app } = await start(Traced, TraceInterceptor, DoubleInterceptor);
    const invoke = app.get(ConsumerHandlerFactory).create(app.get(Traced), 'handle', { contract: OrderPlaced, consumerName: 'direct' });
    const payload = order('i2', 5);
    const context = new MessageContext(payload, { queue: Q.work } as never, OrderPlaced.name, 'direct', {} as DeliverySettlement);
    await expect(invoke(payload, context)).resolves.toBe(10);
  });

  it('an interceptor catching the error turns it into a result: the message is acked', async () => {
    const { producer, transport } = await start(Recovering, RecoverInterceptor);
    await producer.send(order('boom'));
    await producer.send(order('fine'));
    await transport.waitForIdle();
    expect(transport.records.acked).toHaveLength(2);
    expect(transport.messages(Q.dlq)).toHaveLength(0);
  });

  it('a global APP_INTERCEPTOR applies to a handler without decorators, which still gets (payload, ctx)', async () => {
    const create = spyOnCreate();
    const { producer, transport } = await start(Plain, { provide: APP_INTERCEPTOR, useClass: TraceInterceptor });
    await producer.send(order('g1'));
    await transport.waitForIdle();
    expect(create).toHaveBeenCalledTimes(1);
    expect(events).toEqual(['before Plain.handle test.orders.placed g1 messaging', 'handler plain 2 g1 true', 'after undefined']);
  });

  it('without any enhancer or parameter decorator the handler is called directly, with (payload, ctx)', async () => {
    const create = spyOnCreate();
    const { producer, transport } = await start(Plain);
    await producer.send(order('d1'));
    await transport.waitForIdle();
    expect(create).not.toHaveBeenCalled();
    expect(events).toEqual(['handler plain 2 d1 true']);
  });

  it('in manual mode an interceptor can settle through the context', async () => {
    const { producer, transport } = await start(ManualWithInterceptor, AckAfterInterceptor);
    await producer.send(order('m1'));
    await producer.send(order('m2'));
    await waitFor(() => transport.records.acked.length === 2, 'two acks');
    await transport.waitForIdle();
    expect(events).toEqual(['handler m1', 'handler m2']);
    expect(transport.queueDepth(Q.work)).toEqual({ ready: 0, unacked: 0 });
  });

  it('an error thrown by an interceptor before the handler dead-letters as a handler failure', async () => {
    @Injectable()
    class Failing implements NestInterceptor {
      intercept(): Observable<unknown> {
        throw new RangeError('tracer unavailable');
      }
    }
    const { producer, transport, dlqHeaders } = await start(Plain, { provide: APP_INTERCEPTOR, useClass: Failing });
    await producer.send(order('f1'));
    await transport.waitForIdle();
    expect(events).toEqual([]);
    expect(dlqHeaders().map((h) => [h[FAILURE_HEADERS.kind], h[FAILURE_HEADERS.error]])).toEqual([['handler', 'RangeError']]);
  });
});
