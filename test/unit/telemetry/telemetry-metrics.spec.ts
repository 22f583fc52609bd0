import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { Injectable, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { metrics } from '@opentelemetry/api';
import type { ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { z } from 'zod';
import { Consumer, defineContract, MemoryTransport, MessagePublisher, MessagingModule, type MessagingModuleOptions, type TopologyDefinition } from '../../../lib/index.js';
import { DURATION_BUCKETS_SECONDS, MESSAGING_METRICS } from '../../../lib/telemetry/index.js';
import { pointsOf, testMeterProvider, type CollectedPoint } from '../../fixtures/telemetry.fixture.js';

const Job = defineContract({ name: 'metric.job', exchange: 'met.jobs', routingKey: 'job', schema: z.object({ n: z.number().int(), fail: z.boolean() }) });
const WORK = 'met.work';
const topology: TopologyDefinition = {
  exchanges: [{ name: 'met.jobs', type: 'direct' }],
  queues: [{ name: WORK }],
  bindings: [{ exchange: 'met.jobs', queue: WORK, routingKey: 'job' }],
};
const CONSUMED = WORK;

const opened: INestApplicationContext[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((app) => app.close()));
});
afterAll(() => metrics.disable());

async function start(module: Partial<MessagingModuleOptions>) {
  const transport = new MemoryTransport();
  @Injectable()
  class JobConsumer {
    @Consumer(Job, { queue: WORK })
    handle(payload: { fail: boolean }): void {
      if (payload.fail) throw new RangeError('bad job');
    }
  }
  const app = await Test.createTestingModule({
    imports: [MessagingModule.forRoot({ transport, topology, retry: { delayed: [5] }, shutdownTimeoutMs: 500, ...module })],
    providers: [JobConsumer],
  }).compile();
  await app.init();
  opened.push(app);
  return { transport, publisher: app.get(MessagePublisher) };
}

/** Five good jobs and one that fails twice (one delayed retry, then the error queue); one publish returned. */
async function knownWorkload(transport: MemoryTransport, publisher: MessagePublisher): Promise<void> {
  for (let n = 0; n < 5; n++) await publisher.publish(Job, { n, fail: false });
  await publisher.publish(Job, { n: 5, fail: true });
  await expect(publisher.publish(Job, { n: 6, fail: false }, { routingKey: 'nowhere' })).rejects.toThrow();
  // Idle does not cover the delay line (no consumer there): wait for the copy in the error queue first.
  await transport.waitFor((records) => records.published.some((p) => p.routedQueues.includes(`${WORK}.error`)), { timeoutMs: 3000 });
  await transport.waitForIdle();
}

const sum = (points: CollectedPoint[], where: Record<string, unknown> = {}) =>
  points.filter((p) => Object.entries(where).every(([key, value]) => p.attributes[key] === value)).reduce((total, p) => total + (p.value as number), 0);

function histogram(points: CollectedPoint[]): { count: number; boundaries: number[] } {
  const values = points.map((p) => p.value as { count: number; buckets: { boundaries: number[] } });
  return { count: values.reduce((total, v) => total + v.count, 0), boundaries: values[0]?.buckets.boundaries ?? [] };
}

function expectKnownWorkload(collected: ResourceMetrics): void {
  const sent = pointsOf(collected, MESSAGING_METRICS.sent);
  expect(sent.unit).toBe('{message}');
  expect(sum(sent.points)).toBe(7);
  expect(sum(sent.points, { 'error.type': 'UnroutableMessageError', 'messaging.destination.name': 'met.jobs' })).toBe(1);
  expect(sum(sent.points, { 'messaging.system.name': 'memory', 'messaging.operation.name': 'publish', 'messaging.destination.name': 'met.jobs', 'error.type': undefined })).toBe(6);

  const consumed = pointsOf(collected, MESSAGING_METRICS.consumed);
  // Six messages, one of them delivered twice (the retry copy comes back to the same destination).
  expect(sum(consumed.points, { 'messaging.destination.name': CONSUMED, 'messaging.operation.name': 'process' })).toBe(7);

  const processing = pointsOf(collected, MESSAGING_METRICS.processDuration);
  expect(processing.unit).toBe('s');
  expect(histogram(processing.points)).toEqual({ count: 7, boundaries: [...DURATION_BUCKETS_SECONDS] });
  expect(histogram(processing.points.filter((p) => p.attributes['error.type'] === 'RangeError')).count).toBe(2);

  const operation = pointsOf(collected, MESSAGING_METRICS.operationDuration);
  expect(operation.unit).toBe('s');
  // Confirmed and failed publishes are timed; a return carries no duration.
  expect(histogram(operation.points)).toEqual({ count: 6, boundaries: [...DURATION_BUCKETS_SECONDS] });

  expect(sum(pointsOf(collected, MESSAGING_METRICS.retries).points, { 'messaging.destination.name': CONSUMED })).toBe(1);
  expect(sum(pointsOf(collected, MESSAGING_METRICS.deadLetters).points, { 'nestjs_messaging.failure.kind': 'handler' })).toBe(1);
  expect(sum(pointsOf(collected, MESSAGING_METRICS.inFlight).points)).toBe(0);
  expect(pointsOf(collected, MESSAGING_METRICS.connected).points).toEqual([{ attributes: { 'messaging.system.name': 'memory', 'nestjs_messaging.transport.state': 'running' }, value: 1 }]);
  expect(sum(pointsOf(collected, MESSAGING_METRICS.buffered).points)).toBe(0);
  expect(sum(pointsOf(collected, MESSAGING_METRICS.unconfirmed).points)).toBe(0);
  expect(sum(pointsOf(collected, MESSAGING_METRICS.consumers).points)).toBe(1);
}

describe('OpenTelemetry metrics on the memory transport', () => {
  it('a meter provider passed in: counters, histograms with the conventions buckets, and gauges after a known workload', async () => {
    const { provider, reader } = testMeterProvider();
    const { transport, publisher } = await start({ telemetry: { meterProvider: provider, traces: false } });
    await knownWorkload(transport, publisher);
    const { resourceMetrics, errors } = await reader.collect();
    expect(errors).toEqual([]);
    expectKnownWorkload(resourceMetrics);
    await provider.shutdown();
  });

  it('with no option: the global meter provider registered before boot', async () => {
    const { provider, reader } = testMeterProvider();
    metrics.setGlobalMeterProvider(provider);
    const { transport, publisher } = await start({});
    await knownWorkload(transport, publisher);
    expectKnownWorkload((await reader.collect()).resourceMetrics);
    metrics.disable();
    await provider.shutdown();
  });

  it('in flight counts a delivery while its handler runs; the gauges stop being read once the app closes', async () => {
    const { provider, reader } = testMeterProvider();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const transport = new MemoryTransport();
    @Injectable()
    class SlowConsumer {
      @Consumer(Job, { queue: WORK })
      async handle(): Promise<void> {
        await gate;
      }
    }
    const app = await Test.createTestingModule({
      imports: [MessagingModule.forRoot({ transport, topology, telemetry: { meterProvider: provider } })],
      providers: [SlowConsumer],
    }).compile();
    await app.init();
    await app.get(MessagePublisher).publish(Job, { n: 1, fail: false });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(sum(pointsOf((await reader.collect()).resourceMetrics, MESSAGING_METRICS.inFlight).points)).toBe(1);
    release();
    await transport.waitForIdle();
    expect(sum(pointsOf((await reader.collect()).resourceMetrics, MESSAGING_METRICS.inFlight).points)).toBe(0);
    await app.close();
    // Were the callback still registered, it would now read the closed transport (state closed, value 0).
    const after = pointsOf((await reader.collect()).resourceMetrics, MESSAGING_METRICS.connected).points;
    expect(after.filter((p) => p.attributes['nestjs_messaging.transport.state'] === 'closed')).toEqual([]);
    await provider.shutdown();
  });

  it('with no meter provider anywhere, nothing listens to the events', async () => {
    const { transport, publisher } = await start({});
    await publisher.publish(Job, { n: 1, fail: false });
    await transport.waitForIdle();
    const moduleRef = opened[0]!;
    const { MessagingEventBus } = await import('../../../lib/observability/index.js');
    const bus = moduleRef.get(MessagingEventBus);
    expect(['publish.confirmed', 'message.received', 'message.handled'].some((event) => bus.listens(event as 'message.received'))).toBe(false);
  });
});
