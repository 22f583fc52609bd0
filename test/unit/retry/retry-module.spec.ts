import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { Injectable, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { z } from 'zod';
import {
  Consumer,
  defineContract,
  exponential,
  FAILURE_HEADERS,
  MemoryTransport,
  MessageContext,
  MessagePublisher,
  MessagingModule,
  RETRY_HEADERS,
  type ConsumerOptions,
  type MessagingModuleOptions,
  type TopologyDefinition,
} from '../../../lib/index.js';

const Job = defineContract({ name: 'retry.job', exchange: 'retry.jobs', schema: z.object({ n: z.number().int() }) });
type JobPayload = z.infer<typeof Job.schema>;
const WORK = 'retry.work';
const ERRORS = 'retry.work.error';
const topology: TopologyDefinition = {
  exchanges: [{ name: 'retry.jobs', type: 'topic' }],
  queues: [{ name: WORK }],
  bindings: [{ exchange: 'retry.jobs', queue: WORK, routingKey: 'retry.#' }],
};

class NotRetryable extends Error {}

interface Run {
  readonly attempt: number;
  readonly at: number;
}

const opened: INestApplicationContext[] = [];
afterEach(async () => {
  jest.useRealTimers();
  await Promise.all(opened.splice(0).map((app) => app.close()));
});

async function start(
  behaviour: (payload: JobPayload, ctx: MessageContext<JobPayload>, runs: Run[]) => unknown,
  consumer: Partial<ConsumerOptions> = {},
  module: Partial<MessagingModuleOptions> = {},
) {
  const transport = new MemoryTransport();
  const runs: Run[] = [];
  @Injectable()
  class JobConsumer {
    @Consumer(Job, { queue: WORK, ...consumer })
    async handle(payload: JobPayload, ctx: MessageContext<JobPayload>): Promise<unknown> {
      runs.push({ attempt: ctx.attempt, at: Date.now() });
      return behaviour(payload, ctx, runs);
    }
  }
  const app = await Test.createTestingModule({
    imports: [MessagingModule.forRoot({ transport, topology, shutdownTimeoutMs: 500, ...module })],
    providers: [JobConsumer],
  }).compile();
  await app.init();
  opened.push(app);
  return { transport, runs, publisher: app.get(MessagePublisher) };
}

const failUntil = (successfulRun: number) => (_p: JobPayload, _c: MessageContext<JobPayload>, runs: Run[]) => {
  if (runs.length < successfulRun) throw new Error(`transient failure #${runs.length}`);
};

describe('retries on the memory transport', () => {
  it('immediate retries re-run the handler in process, without a broker round trip', async () => {
    const { transport, runs, publisher } = await start(failUntil(3), { retry: { immediate: 2 } });
    await publisher.publish(Job, { n: 1 });
    await transport.waitForIdle();
    expect(runs.map((r) => r.attempt)).toEqual([1, 2, 3]);
    expect(transport.records.delivered).toHaveLength(1);
    expect(transport.messages(ERRORS)).toHaveLength(0);
  });

  it('delayed retries send the message through the delay line and back, and a success ends it', async () => {
    const { transport, runs, publisher } = await start(failUntil(3), {}, { retry: { delayed: [40, 80] } });
    await publisher.publish(Job, { n: 1 });
    await transport.waitFor((r) => r.acked.some((a) => a.queue === WORK && runs.length === 3), { timeoutMs: 3000 });
    await transport.waitForIdle();
    expect(runs.map((r) => r.attempt)).toEqual([1, 2, 3]);
    expect(runs[1]!.at - runs[0]!.at).toBeGreaterThanOrEqual(40);
    expect(runs[2]!.at - runs[1]!.at).toBeGreaterThanOrEqual(80);
    expect(transport.records.delivered.filter((d) => d.queue === WORK)).toHaveLength(3);
    expect(transport.messages(ERRORS)).toHaveLength(0);
  });

  it('exhausted retries go to the error queue with the whole history and the original destination', async () => {
    const { transport, runs, publisher } = await start(failUntil(99), { retry: { immediate: 1, delayed: [20, 30] } });
    const { messageId } = await publisher.publish(Job, { n: 1 }, { routingKey: 'retry.special' });
    await transport.waitFor((r) => r.published.some((p) => p.routedQueues.includes(ERRORS)), { timeoutMs: 3000 });
    await transport.waitForIdle();
    expect(runs.map((r) => r.attempt)).toEqual([1, 2, 3, 4, 5, 6]);
    const [dead] = transport.messages(ERRORS);
    expect(dead?.properties.messageId).toBe(messageId);
    expect(dead?.properties.headers).toMatchObject({
      [FAILURE_HEADERS.kind]: 'handler',
      [FAILURE_HEADERS.reason]: 'transient failure #6',
      [FAILURE_HEADERS.attempts]: 6,
      [FAILURE_HEADERS.queue]: WORK,
      [FAILURE_HEADERS.originalExchange]: 'retry.jobs',
      [FAILURE_HEADERS.originalRoutingKey]: 'retry.special',
      [RETRY_HEADERS.attempt]: 6,
      [RETRY_HEADERS.delays]: [20, 30],
      [RETRY_HEADERS.lastError]: 'transient failure #4',
    });
    expect(typeof dead?.properties.headers?.[RETRY_HEADERS.firstFailureAt]).toBe('string');
    // The broker's own death records of the delay hops never reach the error queue.
    expect(dead?.properties.headers?.['x-death']).toBeUndefined();
  });

  it('a non-retryable error and a validation failure go straight to the error queue', async () => {
    const { transport, runs, publisher } = await start(
      () => {
        throw new NotRetryable('card declined');
      },
      { retry: { immediate: 3, delayed: [10], nonRetryable: [NotRetryable] } },
    );
    await publisher.publish(Job, { n: 1 });
    await transport.publish({
      exchange: 'retry.jobs',
      routingKey: 'retry.job',
      body: Buffer.from('{"n":"not a number"}'),
      properties: { type: Job.name, contentType: 'application/json' },
      mandatory: true,
    });
    await transport.waitForIdle();
    expect(runs).toHaveLength(1);
    expect(transport.messages(ERRORS).map((m) => m.properties.headers?.[FAILURE_HEADERS.kind]).sort()).toEqual(['handler', 'validation']);
    expect(transport.messages(ERRORS).find((m) => m.properties.headers?.[FAILURE_HEADERS.kind] === 'handler')?.properties.headers?.[FAILURE_HEADERS.attempts]).toBe(1);
  });

  it('ctx.retry() lets a manual-ack handler ask for a delayed retry', async () => {
    const { transport, runs, publisher } = await start(
      async (_p, ctx, all) => {
        if (all.length === 1) expect(await ctx.retry({ delayMs: 30 })).toBe('scheduled');
        else ctx.ack();
      },
      { ack: 'manual', retry: { delayed: [1000] } },
    );
    await publisher.publish(Job, { n: 1 });
    await transport.waitFor(() => runs.length === 2, { timeoutMs: 3000 });
    await transport.waitForIdle();
    expect(runs.map((r) => r.attempt)).toEqual([1, 2]);
    expect(runs[1]!.at - runs[0]!.at).toBeLessThan(900);
  });

  it('without delayed retries configured, ctx.retry() rejects with RetryUnavailableError', async () => {
    let error: unknown;
    const { transport, publisher } = await start(async (_p, ctx) => {
      error = await ctx.retry().catch((e: unknown) => e);
      ctx.ack();
    }, { ack: 'manual' });
    await publisher.publish(Job, { n: 1 });
    await transport.waitForIdle();
    expect((error as Error).name).toBe('RetryUnavailableError');
  });

  it('ctx.retry({ delayMs }) longer than the delay line rejects with RetryDelayTooLongError and leaves the message to the handler', async () => {
    let error: unknown;
    const { transport, runs, publisher } = await start(
      async (_p, ctx) => {
        error = await ctx.retry({ delayMs: 5000 }).catch((e: unknown) => e);
        ctx.ack();
      },
      { ack: 'manual', retry: { delayed: [50] } },
    );
    await publisher.publish(Job, { n: 1 });
    await transport.waitForIdle();
    expect(error).toMatchObject({ name: 'RetryDelayTooLongError', delayMs: 5000, maxDelayMs: 63 });
    // Nothing went into the delay line: the handler still owned the message and acked it.
    expect(runs).toHaveLength(1);
    expect(transport.records.published.filter((p) => p.exchange.startsWith('messaging.retry'))).toHaveLength(0);
    expect(transport.queueDepth(WORK)).toEqual({ ready: 0, unacked: 0 });
  });

  it('ctx.retry({ delayMs }) up to retryDelayLine.maxDelayMs waits the whole delay', async () => {
    const { transport, runs, publisher } = await start(
      async (_p, ctx, all) => {
        if (all.length === 1) await ctx.retry({ delayMs: 400 });
        else ctx.ack();
      },
      { ack: 'manual', retry: { delayed: [50] } },
      { retryDelayLine: { maxDelayMs: 400 } },
    );
    await publisher.publish(Job, { n: 1 });
    await transport.waitFor(() => runs.length === 2, { timeoutMs: 3000 });
    expect(runs[1]!.at - runs[0]!.at).toBeGreaterThanOrEqual(400);
  });

  it('the clock is controllable: a 5-minute exponential delay passes with fake timers, no real waiting', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
    const { transport, runs, publisher } = await start(failUntil(2), {
      retry: { delayed: exponential({ initialMs: 300_000, attempts: 1 }) },
    });
    await publisher.publish(Job, { n: 1 });
    await transport.waitFor(() => runs.length === 1 && transport.queueDepth(WORK).unacked === 0);
    await jest.advanceTimersByTimeAsync(299_000);
    expect(runs).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(2_000);
    await transport.waitFor(() => runs.length === 2);
    expect(runs[1]!.at - runs[0]!.at).toBeGreaterThanOrEqual(300_000);
  });

  it('a message that keeps coming back unsettled is set aside as poison after maxDeliveries', async () => {
    const { transport, runs, publisher } = await start(
      async (_p, ctx) => {
        // Hangs until its delivery goes stale, as a handler stuck on a dead dependency would.
        await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
      },
      { maxDeliveries: 3 },
    );
    await publisher.publish(Job, { n: 1 });
    for (let delivery = 1; delivery <= 3; delivery++) {
      await transport.waitFor(() => runs.length === delivery);
      transport.simulateConnectionLoss();
    }
    await transport.waitFor((r) => r.published.some((p) => p.routedQueues.includes(ERRORS)));
    expect(runs).toHaveLength(3);
    expect(transport.messages(ERRORS)[0]?.properties.headers).toMatchObject({ [FAILURE_HEADERS.kind]: 'poison', [FAILURE_HEADERS.error]: 'PoisonMessageError' });
  });
});
