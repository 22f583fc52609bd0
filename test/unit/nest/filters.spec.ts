import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import {
  Catch,
  ForbiddenException,
  Injectable,
  UseFilters,
  UseGuards,
  type ArgumentsHost,
  type CanActivate,
  type ExceptionFilter,
} from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { throwError, type Observable } from 'rxjs';
import { Consumer, FAILURE_HEADERS, getMessageContext, isMessagingContext, type ContractOutput } from '../../../lib/index.js';
import { muteNestLogger, type MutedLogger } from '../../fixtures/logger.fixture.js';
import { order, startConsumerApp, type NestConsumerApp } from '../../fixtures/nest-consumer-app.fixture.js';
import { OrderPlaced, Q } from '../../fixtures/orders.fixture.js';

type Order = ContractOutput<typeof OrderPlaced>;
const seen: string[] = [];

class ConflictError extends Error {
  override name = 'ConflictError';
}

/** What it does depends on the order id, so one consumer covers every outcome. */
@Catch()
class OutcomeFilter implements ExceptionFilter {
  catch(error: Error, host: ArgumentsHost): unknown {
    seen.push(`filter ${host.getType()} ${isMessagingContext(host)} ${error.message}`);
    const ctx = getMessageContext<Order>(host);
    switch (ctx.payload.orderId) {
      case 'ack':
        ctx.ack();
        return 'acked by filter';
      case 'reject':
        return ctx.reject(`filtered: ${error.message}`);
      case 'nack-then-undefined':
        ctx.nack({ requeue: false });
        return undefined;
      case 'handled':
        return { handled: true };
      case 'rethrow':
        throw new ConflictError(`conflict after ${error.message}`);
      case 'observable':
        return throwError(() => error) as Observable<never>;
      default:
        return undefined;
    }
  }
}

@Injectable()
@UseFilters(OutcomeFilter)
class Filtered {
  @Consumer(OrderPlaced, { queue: Q.work })
  handle(o: Order): void {
    throw new Error(`failed ${o.orderId}`);
  }
}

class DenyAll implements CanActivate {
  canActivate(): boolean {
    return false;
  }
}

@Catch(ForbiddenException)
class ForgiveDenial implements ExceptionFilter {
  catch(): string {
    seen.push('denial handled');
    return 'let it go';
  }
}

@Injectable()
class Denied {
  @UseFilters(ForgiveDenial)
  @UseGuards(DenyAll)
  @Consumer(OrderPlaced, { queue: Q.work })
  handle(): void {
    seen.push('handler');
  }
}

@Injectable()
class Plain {
  @Consumer(OrderPlaced, { queue: Q.work })
  handle(o: Order): void {
    throw new Error(`failed ${o.orderId}`);
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
  seen.length = 0;
});

async function send(orderId: string, ...providers: Parameters<typeof startConsumerApp>[0]): Promise<NestConsumerApp> {
  running = await startConsumerApp(providers.length ? providers : [Filtered]);
  await running.producer.send(order(orderId));
  await running.transport.waitForIdle();
  return running;
}

const failureOf = (headers: Record<string, unknown>) => [headers[FAILURE_HEADERS.kind], headers[FAILURE_HEADERS.error], headers[FAILURE_HEADERS.reason]];

describe('exception filters', () => {
  it('see a messaging host with the message context', async () => {
    await send('handled');
    expect(seen).toEqual(['filter messaging true failed handled']);
  });

  it('a filter that acks through the context: the message is acked', async () => {
    const { transport } = await send('ack');
    expect(transport.records.acked).toHaveLength(1);
    expect(transport.messages(Q.dlq)).toHaveLength(0);
  });

  it('a filter that rejects through the context: dead-lettered as "rejected" with its reason', async () => {
    const { dlqHeaders } = await send('reject');
    expect(dlqHeaders().map(failureOf)).toEqual([['rejected', 'Error', 'filtered: failed reject']]);
  });

  it('a settlement made by a filter stands even when it then returns undefined', async () => {
    const { transport, dlqHeaders } = await send('nack-then-undefined');
    expect(transport.records.nacked).toHaveLength(1);
    expect(dlqHeaders()).toEqual([expect.objectContaining({ 'x-death': expect.anything() })]);
    expect(dlqHeaders()[0]?.[FAILURE_HEADERS.kind]).toBeUndefined();
  });

  it('a filter that returns a value without settling: handled, acked in auto mode', async () => {
    const { transport } = await send('handled');
    expect(transport.records.acked).toHaveLength(1);
    expect(transport.messages(Q.dlq)).toHaveLength(0);
  });

  it('a filter that returns undefined (not handled): dead-lettered with the original error', async () => {
    const { dlqHeaders } = await send('unhandled');
    expect(dlqHeaders().map(failureOf)).toEqual([['handler', 'Error', 'failed unhandled']]);
  });

  it('a filter that throws: dead-lettered with the error it threw', async () => {
    const { dlqHeaders } = await send('rethrow');
    expect(dlqHeaders().map(failureOf)).toEqual([['handler', 'ConflictError', 'conflict after failed rethrow']]);
  });

  it('a filter returning an erroring observable (RPC style) counts as rethrowing', async () => {
    const { dlqHeaders } = await send('observable');
    expect(dlqHeaders().map(failureOf)).toEqual([['handler', 'Error', 'failed observable']]);
  });

  it('a filter can handle a guard denial: the handler does not run and the message is acked', async () => {
    const { transport } = await send('any', Denied);
    expect(seen).toEqual(['denial handled']);
    expect(transport.records.acked).toHaveLength(1);
    expect(transport.messages(Q.dlq)).toHaveLength(0);
  });

  it('a global APP_FILTER applies to a handler without decorators', async () => {
    const { transport } = await send('handled', Plain, { provide: APP_FILTER, useClass: OutcomeFilter });
    expect(seen).toEqual(['filter messaging true failed handled']);
    expect(transport.records.acked).toHaveLength(1);
  });
});
