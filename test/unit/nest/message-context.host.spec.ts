import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Injectable, type PipeTransform } from '@nestjs/common';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import type { DeliverySettlement } from '../../../lib/consumer/delivery.settlement.js';
import {
  Consumer,
  getMessageContext,
  isMessagingContext,
  MESSAGING_CONTEXT_TYPE,
  MessageContext,
  NotMessagingContextError,
  Payload,
  type ContractOutput,
} from '../../../lib/index.js';
import { muteNestLogger, type MutedLogger } from '../../fixtures/logger.fixture.js';
import { order, startConsumerApp, type NestConsumerApp } from '../../fixtures/nest-consumer-app.fixture.js';
import { OrderPlaced, Q } from '../../fixtures/orders.fixture.js';

type Order = ContractOutput<typeof OrderPlaced>;

function hostOf(type: string, args: unknown[]): ExecutionContextHost {
  const host = new ExecutionContextHost(args);
  host.setType(type);
  return host;
}

const context = new MessageContext(order('h'), { queue: Q.work } as never, OrderPlaced.name, 'C.handle', {} as DeliverySettlement);

describe('getMessageContext / isMessagingContext', () => {
  it('return the context of a messaging host', () => {
    const host = hostOf(MESSAGING_CONTEXT_TYPE, [context.payload, context]);
    expect(isMessagingContext(host)).toBe(true);
    expect(getMessageContext(host)).toBe(context);
  });

  it.each([
    ['an HTTP host', 'http', [{}, {}]],
    ['a messaging host without a MessageContext', MESSAGING_CONTEXT_TYPE, [{}, {}]],
  ])('refuse %s', (_label, type, args) => {
    const host = hostOf(type, args);
    expect(isMessagingContext(host)).toBe(false);
    expect(() => getMessageContext(host)).toThrow(NotMessagingContextError);
  });
});

const received: unknown[] = [];

/** Replaces the whole payload: the pipes-only form of @Payload. */
@Injectable()
class SummaryPipe implements PipeTransform<Order, string> {
  transform(value: Order): string {
    return `${value.orderId}:${value.totalCents}`;
  }
}

@Injectable()
class PipedWhole {
  @Consumer(OrderPlaced, { queue: Q.work, params: 'decorated' })
  handle(@Payload(SummaryPipe) summary: string): void {
    received.push(summary);
  }
}

describe('@Payload(...pipes)', () => {
  let logger: MutedLogger;
  let running: NestConsumerApp | undefined;
  beforeAll(() => {
  logger = muteNestLogger();
});
  afterAll(() => logger.restore());
  afterEach(async () => {
    await running?.app.close();
    received.length = 0;
  });

  it('runs the pipes on the whole payload', async () => {
    running = await startConsumerApp([PipedWhole, SummaryPipe]);
    await running.producer.send(order('w', 12));
    await running.transport.waitForIdle();
    expect(received).toEqual(['w:12']);
  });
});
