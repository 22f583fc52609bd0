import { afterAll, afterEach, beforeAll, expect, it, jest } from '@jest/globals';
import { Injectable, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { z } from 'zod';
import {
  Consumer,
  defineContract,
  exponential,
  FAILURE_HEADERS,
  MessageContext,
  MessagePublisher,
  MessagingModule,
  RETRY_HEADERS,
  type ConsumerOptions,
  type MessagingModuleOptions,
  type TopologyDefinition,
} from '../../../lib/index.js';
import { DelayTopology } from '../../../lib/retry/delay-topology.builder.js';
import { BrokerTestScope } from '../../fixtures/amqp-integration.fixture.js';
import { muteNestLogger, type MutedLogger } from '../../fixtures/logger.fixture.js';
import { drainQueue } from '../../fixtures/rabbitmq-admin.fixture.js';
import { sleep, waitFor } from '../../fixtures/wait-for.fixture.js';
import { describeWithBroker, uniqueName } from '../../support/broker.js';

jest.setTimeout(60_000);

const schema = z.object({ id: z.string() });
type Payload = z.infer<typeof schema>;

let logger: MutedLogger;
beforeAll(() => {
  logger = muteNestLogger();
});
afterAll(() => logger.restore());

const scope = new BrokerTestScope();
const apps: INestApplicationContext[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close().catch(() => undefined)));
  await scope.release();
});

interface Arrival {
  readonly id: string;
  readonly attempt: number;
  readonly at: number;
  readonly delays: readonly number[];
}

/** An app on RabbitMQ consuming one quorum queue with `behaviour`, with a delay line of its own (unique prefix). */
async function startApp(
  behaviour: (payload: Payload, ctx: MessageContext<Payload>, arrivals: Arrival[]) => unknown,
  consumer: Partial<ConsumerOptions>,
  module: Partial<MessagingModuleOptions> = {},
) {
  const exchange = uniqueName('retry.ex');
  const queue = uniqueName('retry.q');
  const prefix = uniqueName('retry.line');
  const contract = defineContract({ name: `${exchange}.job`, exchange, schema });
  const topology: TopologyDefinition = scope.declare({
    exchanges: [{ name: exchange, type: 'topic' }],
    queues: [{ name: queue, type: 'quorum' }],
    bindings: [{ exchange, queue, routingKey: '#' }],
  });
  const arrivals: Arrival[] = [];
  @Injectable()
  class RetryConsumer {
    @Consumer(contract, { queue, ...consumer })
    handle(payload: Payload, ctx: MessageContext<Payload>): unknown {
      const delays = ctx.headers[RETRY_HEADERS.delays];
      arrivals.push({ id: payload.id, attempt: ctx.attempt, at: Date.now(), delays: Array.isArray(delays) ? (delays as number[]) : [] });
      return behaviour(payload, ctx, arrivals);
    }
  }
  const app = await Test.createTestingModule({
    imports: [
      MessagingModule.forRoot({
        transport: scope.transport(),
        topology,
        shutdownTimeoutMs: 2_000,
        retryDelayLine: { prefix, ...module.retryDelayLine },
        ...module,
      }),
    ],
    providers: [RetryConsumer],
  }).compile();
  await app.init();
  apps.push(app);
  // The delay line and the error queue are the SDK's; delete them with the rest.
  const line = new DelayTopology(module.retryDelayLine?.maxDelayMs ?? 60_000, prefix).topology([]);
  scope.declare({ exchanges: line.exchanges, queues: [...line.queues, { name: `${queue}.error` }] });
  return { arrivals, queue, publisher: app.get(MessagePublisher), contract };
}

/**
 * The README's figures: a wait comes back 8–18 ms after its delay, 56 ms at worst (a 200 ms retry behind a
 * 3 s one: 208–256 ms), whatever the delay's length (the levels' TTLs are exact). Allowed: never early
 * (5 ms for clock granularity), late by at most those 56 ms plus 64 ms for a loaded 2-core machine (runs
 * at load average 17 measured up to 50 ms late), plus 50 ms per level the delay passes through: each is
 * a quorum queue handing the message on at least once (a Raft write and a confirmed transfer, a few ms
 * when the machine is quiet, tens of ms under load).
 */
function expectNear(actualMs: number, expectedMs: number): void {
  const hops = Math.round(expectedMs).toString(2).split('').filter((bit) => bit === '1').length;
  expect(actualMs).toBeGreaterThanOrEqual(expectedMs - 5);
  expect(actualMs).toBeLessThanOrEqual(expectedMs + 120 + 50 * hops);
}

describeWithBroker('Retries on RabbitMQ', () => {
  it('waits exactly the delays the policy says, jitter included, then goes to the error queue with the history', async () => {
    const { arrivals, queue, publisher, contract } = await startApp(
      () => {
        throw new Error('still down');
      },
      { retry: { delayed: exponential({ initialMs: 300, factor: 2.5, maxMs: 3000, attempts: 3, jitter: 0.2 }) } },
      { retryDelayLine: { maxDelayMs: 3000 } },
    );
    await publisher.publish(contract, { id: 'a' });
    await waitFor(() => arrivals.length === 4, 'four attempts', 20_000);
    let dead = await drainQueue(`${queue}.error`);
    for (let i = 0; i < 100 && dead.length === 0; i++) {
      await sleep(50);
      dead = await drainQueue(`${queue}.error`);
    }
    expect(arrivals.map((a) => a.attempt)).toEqual([1, 2, 3, 4]);
    const delays = arrivals[3]!.delays;
    expect(delays).toHaveLength(3);
    // Each delay is the policy's (300, 750, 1875 ms ±20%), and the wait actually observed matches it.
    [300, 750, 1875].forEach((base, i) => {
      expect(delays[i]).toBeGreaterThanOrEqual(base * 0.8 - 1);
      expect(delays[i]).toBeLessThanOrEqual(base * 1.2 + 1);
      expectNear(arrivals[i + 1]!.at - arrivals[i]!.at, delays[i]!);
    });
    expect(dead).toHaveLength(1);
    expect(dead[0]!.properties.headers).toMatchObject({
      [FAILURE_HEADERS.kind]: 'handler',
      [FAILURE_HEADERS.attempts]: 4,
      [RETRY_HEADERS.attempt]: 4,
      [RETRY_HEADERS.delays]: delays,
      [RETRY_HEADERS.lastError]: 'still down',
      [FAILURE_HEADERS.originalExchange]: contract.exchange,
    });
    expect(dead[0]!.properties.headers?.['x-death']).toBeUndefined();
  });

  it('a short delay never waits behind a long one', async () => {
    const { arrivals, publisher, contract } = await startApp(
      async (payload, ctx, all) => {
        if (all.filter((a) => a.id === payload.id).length > 1) return;
        await ctx.retry({ delayMs: payload.id === 'long' ? 3000 : 200 });
      },
      { ack: 'manual', retry: { delayed: [1000] } },
      { retryDelayLine: { maxDelayMs: 4000 } },
    );
    await publisher.publish(contract, { id: 'long' });
    await waitFor(() => arrivals.length === 1, 'the long one first', 5_000);
    await publisher.publish(contract, { id: 'short' });
    await waitFor(() => arrivals.length === 4, 'both back', 10_000);
    const back = arrivals.slice(2);
    expect(back.map((a) => a.id)).toEqual(['short', 'long']);
    const firstShort = arrivals.find((a) => a.id === 'short')!;
    const firstLong = arrivals.find((a) => a.id === 'long')!;
    expectNear(back[0]!.at - firstShort.at, 200);
    expectNear(back[1]!.at - firstLong.at, 3000);
  });

  it('immediate retries then success: no broker round trip, nothing in the error queue', async () => {
    const { arrivals, queue, publisher, contract } = await startApp(
      (_p, _c, all) => {
        if (all.length < 3) throw new Error('blip');
      },
      { retry: { immediate: 2, delayed: [500] } },
    );
    await publisher.publish(contract, { id: 'x' });
    await waitFor(() => arrivals.length === 3, 'three runs', 5_000);
    await sleep(300);
    expect(arrivals.map((a) => [a.attempt, a.delays.length])).toEqual([
      [1, 0],
      [2, 0],
      [3, 0],
    ]);
    expect(await drainQueue(`${queue}.error`)).toHaveLength(0);
  });

  it('a non-retryable error goes straight to the error queue', async () => {
    class CardDeclined extends Error {}
    const { arrivals, queue, publisher, contract } = await startApp(
      () => {
        throw new CardDeclined('declined');
      },
      { retry: { immediate: 3, delayed: [100, 100], nonRetryable: [CardDeclined] } },
    );
    await publisher.publish(contract, { id: 'x' });
    let dead = await drainQueue(`${queue}.error`);
    for (let i = 0; i < 100 && dead.length === 0; i++) {
      await sleep(50);
      dead = await drainQueue(`${queue}.error`);
    }
    expect(arrivals).toHaveLength(1);
    expect(dead[0]!.properties.headers).toMatchObject({ [FAILURE_HEADERS.kind]: 'handler', [FAILURE_HEADERS.attempts]: 1 });
  });

  it('maxDeliveries sets a message that keeps coming back aside as poison (quorum x-delivery-count)', async () => {
    const { arrivals, queue, publisher, contract } = await startApp(
      (_p, ctx) => {
        ctx.nack({ requeue: true });
      },
      { ack: 'manual', maxDeliveries: 3 },
    );
    await publisher.publish(contract, { id: 'p' });
    let dead = await drainQueue(`${queue}.error`);
    for (let i = 0; i < 100 && dead.length === 0; i++) {
      await sleep(50);
      dead = await drainQueue(`${queue}.error`);
    }
    expect(arrivals).toHaveLength(3);
    expect(dead).toHaveLength(1);
    expect(dead[0]!.properties.headers).toMatchObject({ [FAILURE_HEADERS.kind]: 'poison', [FAILURE_HEADERS.error]: 'PoisonMessageError' });
  });
});
