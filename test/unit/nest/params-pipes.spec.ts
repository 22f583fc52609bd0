import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import {
  createParamDecorator,
  Injectable,
  ParseIntPipe,
  UsePipes,
  type ArgumentMetadata,
  type ExecutionContext,
  type PipeTransform,
} from '@nestjs/common';
import { APP_PIPE } from '@nestjs/core';
import {
  Consumer,
  Ctx,
  FAILURE_HEADERS,
  Headers,
  MessageContext,
  Payload,
  type ContractOutput,
  type HeaderValue,
} from '../../../lib/index.js';
import { muteNestLogger, type MutedLogger } from '../../fixtures/logger.fixture.js';
import { order, startConsumerApp, type NestConsumerApp } from '../../fixtures/nest-consumer-app.fixture.js';
import { OrderPlaced, Q } from '../../fixtures/orders.fixture.js';
import { waitFor } from '../../fixtures/wait-for.fixture.js';

type Order = ContractOutput<typeof OrderPlaced>;
const calls: unknown[][] = [];
const pipeMetadata: ArgumentMetadata[] = [];

@Injectable()
class UpperCasePipe implements PipeTransform<unknown, unknown> {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    pipeMetadata.push(metadata);
    if (typeof value !== 'string' || value.includes('!')) throw new TypeError(`refusing ${String(value)}`);
    return value.toUpperCase();
  }
}

/** A user's own param decorator, to show it sees the messaging context too. */
const ContextType = createParamDecorator((_data: unknown, host: ExecutionContext) => host.getType());

@Injectable()
class Decorated {
  @Consumer(OrderPlaced, { queue: Q.work, params: 'decorated' })
  handle(
    @Ctx() ctx: MessageContext<Order>,
    @Payload() whole: Order,
    @Payload('orderId', UpperCasePipe) upper: string,
    @Headers() headers: Readonly<Record<string, HeaderValue>>,
    @Headers('tenant') tenant: HeaderValue | undefined,
    @ContextType() type: string,
  ): void {
    calls.push([ctx instanceof MessageContext ? `ctx ${ctx.messageId}` : ctx, whole, upper, headers['tenant'], tenant, type]);
  }
}

@Injectable()
class Parsing {
  @Consumer(OrderPlaced, { queue: Q.work, params: 'decorated' })
  handle(@Payload('orderId', ParseIntPipe) id: number, @Payload('totalCents') cents: number): void {
    calls.push([id, cents]);
  }
}

@Injectable()
@UsePipes(UpperCasePipe)
class ClassPiped {
  @Consumer(OrderPlaced, { queue: Q.work, params: 'decorated' })
  handle(@Payload('orderId') id: string): void {
    calls.push([id]);
  }
}

/** No parameter decorators: a global pipe has nothing to transform and the handler gets (payload, ctx). */
@Injectable()
class Undecorated {
  @Consumer(OrderPlaced, { queue: Q.work })
  handle(o: Order, ctx: MessageContext<Order>): void {
    calls.push([o.orderId, ctx instanceof MessageContext]);
  }
}

const parked: Array<MessageContext<Order>> = [];

@Injectable()
class ManualDecorated {
  @Consumer(OrderPlaced, { queue: Q.work, ack: 'manual', params: 'decorated' })
  handle(@Payload('orderId') id: string, @Ctx() ctx: MessageContext<Order>): void {
    calls.push([id]);
    parked.push(ctx);
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
  calls.length = 0;
  pipeMetadata.length = 0;
  parked.length = 0;
});

async function start(...providers: Parameters<typeof startConsumerApp>[0]): Promise<NestConsumerApp> {
  running = await startConsumerApp(providers);
  return running;
}

describe('parameter decorators', () => {
  it('@Ctx, @Payload, @Payload(prop, pipe), @Headers, @Headers(name) in any order, and custom ones see "messaging"', async () => {
    const { producer, transport } = await start(Decorated, UpperCasePipe);
    await producer.send(order('abc', 7), { messageId: 'm-1', headers: { tenant: 'acme' } });
    await transport.waitForIdle();
    expect(calls).toEqual([['ctx m-1', order('abc', 7), 'ABC', 'acme', 'acme', 'messaging']]);
    expect(pipeMetadata).toEqual([expect.objectContaining({ type: 'custom', data: 'orderId', metatype: String })]);
    expect(transport.records.acked).toHaveLength(1);
  });

  it('manual ack mode: the message waits for the handler to settle through @Ctx', async () => {
    const { producer, transport } = await start(ManualDecorated);
    await producer.send(order('later'));
    await waitFor(() => parked.length === 1, 'parked.length === 1');
    expect(transport.queueDepth(Q.work)).toEqual({ ready: 0, unacked: 1 });
    parked[0]!.ack();
    await transport.waitForIdle();
    expect(calls).toEqual([['later']]);
    expect(transport.records.acked).toHaveLength(1);
  });

  it('an absent header is undefined', async () => {
    const { producer, transport } = await start(Decorated, UpperCasePipe);
    await producer.send(order('x'));
    await transport.waitForIdle();
    expect(calls[0]?.[4]).toBeUndefined();
  });
});

describe('typing [type tests]', () => {
  it("[type test] decorated parameters need params: 'decorated'; positional handlers stay contract-checked (enforced by npm run typecheck)", () => {
    // Type test: jest compiles with isolatedModules and does not check types, so only `npm run typecheck`
    // (which `npm test` runs first) fails when a @ts-expect-error line below compiles.
    class Untagged {
      // @ts-expect-error without params: 'decorated' the first parameter must accept the payload
      @Consumer(OrderPlaced, { queue: Q.work })
      handle(@Payload('orderId', ParseIntPipe) _id: number): void {}
    }
    expect(Untagged).toBeDefined();
  });
});

describe('pipes', () => {
  it('ParseIntPipe on a payload property transforms it', async () => {
    const { producer, transport } = await start(Parsing);
    await producer.send(order('42', 9));
    await transport.waitForIdle();
    expect(calls).toEqual([[42, 9]]);
  });

  it('a BadRequestException from a pipe dead-letters the message as "validation" without calling the handler', async () => {
    const { producer, transport, dlqHeaders } = await start(Parsing);
    await producer.send(order('not-a-number'));
    await transport.waitForIdle();
    expect(calls).toEqual([]);
    expect(dlqHeaders()).toEqual([
      expect.objectContaining({
        [FAILURE_HEADERS.kind]: 'validation',
        [FAILURE_HEADERS.error]: 'BadRequestException',
        [FAILURE_HEADERS.reason]: 'Validation failed (numeric string is expected)',
      }),
    ]);
  });

  it('a class-level @UsePipes runs on decorated parameters; any other pipe error is a "handler" failure', async () => {
    const { producer, transport, dlqHeaders } = await start(ClassPiped, UpperCasePipe);
    await producer.send(order('low'));
    await producer.send(order('no!'));
    await transport.waitForIdle();
    expect(calls).toEqual([['LOW']]);
    expect(dlqHeaders().map((h) => [h[FAILURE_HEADERS.kind], h[FAILURE_HEADERS.error], h[FAILURE_HEADERS.reason]])).toEqual([
      ['handler', 'TypeError', 'refusing no!'],
    ]);
  });

  it('a global APP_PIPE leaves an undecorated handler with (payload, ctx)', async () => {
    const { producer, transport } = await start(Undecorated, { provide: APP_PIPE, useClass: UpperCasePipe });
    await producer.send(order('plain'));
    await transport.waitForIdle();
    expect(calls).toEqual([['plain', true]]);
    expect(pipeMetadata).toEqual([]);
  });
});
