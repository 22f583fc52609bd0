import { afterEach, describe, expect, it } from '@jest/globals';
import { Injectable, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Registry, register as globalRegistry } from 'prom-client';
import { BacklogMonitor, Consumer, type ContractOutput, MemoryTransport, MessagingModule, Producer, TypedProducer } from '../../../lib/index.js';
import { MESSAGING_METRIC_NAMES as N, MessagingMetrics, MessagingPrometheusModule } from '../../../lib/prometheus/index.js';
import { OrderPlaced, ordersTopology, Q } from '../../fixtures/orders.fixture.js';

@Injectable()
class Billing {
  @Consumer(OrderPlaced, { queue: Q.work })
  async charge(order: ContractOutput<typeof OrderPlaced>): Promise<void> {
    if (order.totalCents > 1000) throw new RangeError('card declined');
  }
}

@Injectable()
class Sender {
  constructor(@Producer(OrderPlaced) readonly producer: TypedProducer<typeof OrderPlaced>) {}
}

async function boot(registry?: Registry): Promise<{ app: INestApplicationContext; transport: MemoryTransport }> {
  const transport = new MemoryTransport();
  const app = await Test.createTestingModule({
    imports: [
      MessagingModule.forRoot({ transport, topology: ordersTopology, shutdownTimeoutMs: 300, backlog: { intervalMs: 60_000 } }),
      MessagingModule.forFeature([OrderPlaced]),
      MessagingPrometheusModule.forRoot({ registry }),
    ],
    providers: [Billing, Sender],
  }).compile();
  await app.init();
  return { app, transport };
}

/** The value of one series from the registry's JSON, by label subset. */
async function value(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  // Histogram series (`_count`, `_bucket`) are values of their histogram, told apart by `metricName`.
  const values = (await registry.getMetricsAsJSON()).flatMap((m) => m.values.map((v) => ({ ...v, series: (v as { metricName?: string }).metricName ?? m.name })));
  const matching = values.filter((v) => v.series === name && Object.entries(labels).every(([k, want]) => v.labels[k] === want));
  return matching.length === 0 ? undefined : matching.reduce((sum, v) => sum + v.value, 0);
}

describe('MessagingMetrics (prom-client)', () => {
  let app: INestApplicationContext | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('counts a known workload: 4 sent, 4 consumed, 1 dead-lettered, process durations observed', async () => {
    const booted = await boot();
    app = booted.app;
    const producer = app.get(Sender).producer;
    for (const total of [100, 200, 300, 5000]) await producer.send({ orderId: `o-${total}`, totalCents: total });
    await booted.transport.waitForIdle();
    const metrics = app.get(MessagingMetrics);
    const { registry } = metrics;
    expect(await value(registry, N.sentMessages, { messaging_system: 'memory', messaging_destination_name: 'test.orders', messaging_operation_name: 'publish' })).toBe(4);
    expect(await value(registry, N.consumedMessages, { messaging_destination_name: Q.work })).toBe(4);
    expect(await value(registry, N.deadLetters, { queue: Q.work, kind: 'handler' })).toBe(1);
    expect(await value(registry, `${N.processDuration}_count`, { messaging_destination_name: Q.work })).toBe(4);
    expect(await value(registry, `${N.processDuration}_count`, { error_type: 'RangeError' })).toBe(1);
    expect(await value(registry, `${N.operationDuration}_count`)).toBe(4);
    expect(await value(registry, N.connectionUp)).toBe(1);
    expect(await value(registry, N.consumerUp, { queue: Q.work })).toBe(1);
    expect(await value(registry, N.inFlight, { queue: Q.work })).toBe(0);
    const text = await metrics.metrics();
    expect(text).toContain(`# TYPE ${N.processDuration} histogram`);
    // The spec's bucket boundaries.
    expect(text).toContain(`${N.operationDuration}_bucket{le="0.005"`);
    expect(text).toContain(`${N.operationDuration}_bucket{le="7.5"`);
  });

  it('exposes the last backlog sample as gauges', async () => {
    const booted = await boot();
    app = booted.app;
    const metrics = app.get(MessagingMetrics);
    await app.get(BacklogMonitor).sample();
    expect(await value(metrics.registry, N.backlogDepth, { queue: Q.work })).toBe(0);
    expect(await value(metrics.registry, N.timeToDrain, { queue: Q.work })).toBe(0);
    expect(await value(metrics.registry, N.expectedWait, { queue: Q.work })).toBe(0);
  });

  it('uses the registry given, never the global one, and removes its metrics when the app closes', async () => {
    const registry = new Registry();
    const booted = await boot(registry);
    expect(booted.app.get(MessagingMetrics).registry).toBe(registry);
    expect(registry.getSingleMetric(N.sentMessages)).toBeDefined();
    expect(globalRegistry.getSingleMetric(N.sentMessages)).toBeUndefined();
    await booted.app.close();
    expect(registry.getSingleMetric(N.sentMessages)).toBeUndefined();
    // A second boot on the same registry registers again without "already registered".
    app = (await boot(registry)).app;
    expect(registry.getSingleMetric(N.sentMessages)).toBeDefined();
  });
});
