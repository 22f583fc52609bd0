import 'reflect-metadata';
import { Injectable, Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ExportResultCode, W3CTraceContextPropagator, type ExportResult } from '@opentelemetry/core';
import { AggregationTemporality, MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { AlwaysOnSampler, BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler, type ReadableSpan, type Sampler, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import amqplib from 'amqplib';
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import type * as Library from '../lib/index.js';
import { benchConfig, deferred, payloadOfSize, publishWindowed } from './bench.config.js';
import { interleave, printTable, say, seriesStats, type SeriesStats } from './bench.stats.js';

/**
 * Throughput through the Nest module (publish with confirm → consume → ack) with telemetry off and on,
 * rounds interleaved (order rotated each round), medians with min/max.
 *
 * "On" is what a production SDK setup records: an always-on sampler, a BatchSpanProcessor (default
 * queue and batch sizes) in front of an exporter that drops the batches (the cost measured is recording
 * and batching, not a collector), the W3C propagator, an async-hooks context manager, and a meter
 * provider with a periodic reader (every `BENCH_METRIC_INTERVAL_MS`, default 10 s) whose exporter drops
 * what it is given. `sampled 1/10` is the same with a parent-based 10% trace-id ratio sampler.
 *
 * Variants: `off` is `telemetry: false` in a process whose SDK context manager is registered (an app that
 * traces other things: the library's own cost); `no OTel` also takes the context manager away for its
 * rounds (no OpenTelemetry in the process at all); `wire only` is `off` with a `traceparent`-sized header
 * on every message (what carrying trace context costs the transport and broker, with no OTel work).
 * `BENCH_VARIANTS=off,tracing + metrics` keeps the
 * variants whose names start with one of the prefixes. `BENCH_BASELINE=<older build>/dist/lib/index.js`
 * adds `before:` copies of the telemetry variants running that build, in the same interleaved rounds.
 *
 * Besides throughput it prints per-round ratios (each variant against `off`, and new against `before:`,
 * in the same round) and this process's CPU time per message: on a shared machine the CPU figure moves
 * far less with other processes' load than msg/s does.
 */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const MEMORY_MESSAGES = Number(process.env.BENCH_MESSAGES ?? 20_000);
const AMQP_MESSAGES = Number(process.env.BENCH_AMQP_MESSAGES ?? 5_000);
const METRIC_INTERVAL_MS = Number(process.env.BENCH_METRIC_INTERVAL_MS ?? 10_000);
const ONLY = process.env.BENCH_VARIANTS?.split(',');
const WITH_MEMORY = process.env.BENCH_MEMORY !== '0';
const WITH_AMQP = process.env.BENCH_AMQP !== '0';

type Lib = typeof Library;
type TelemetryOptions = Exclude<Library.MessagingModuleOptions['telemetry'], false | undefined>;

const schema = z.object({ seq: z.number().int(), pad: z.string() });

/** Receives span batches and drops them. */
class DiscardingSpanExporter implements SpanExporter {
  export(_spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    done({ code: ExportResultCode.SUCCESS });
  }
  async shutdown(): Promise<void> {}
}

/** Receives metric collections and drops them. */
class DiscardingMetricExporter implements PushMetricExporter {
  export(_metrics: ResourceMetrics, done: (result: ExportResult) => void): void {
    done({ code: ExportResultCode.SUCCESS });
  }
  selectAggregationTemporality(): AggregationTemporality {
    return AggregationTemporality.CUMULATIVE;
  }
  async forceFlush(): Promise<void> {}
  async shutdown(): Promise<void> {}
}

interface Setup {
  readonly telemetry: TelemetryOptions | false | undefined;
  /** Extra publish middleware (the header-only variant). */
  readonly publishMiddleware?: Library.PublishMiddleware[];
  readonly shutdown: () => Promise<void>;
}

interface VariantSpec {
  readonly name: string;
  /** Whether the SDK's context manager stays registered during this variant's rounds. */
  readonly contextManager: boolean;
  /** Whether it records telemetry (so it gets a `before:` copy with a baseline build). */
  readonly records: boolean;
  readonly setup: () => Setup;
}

function tracerProvider(sampler: Sampler = new AlwaysOnSampler()): BasicTracerProvider {
  return new BasicTracerProvider({ sampler, spanProcessors: [new BatchSpanProcessor(new DiscardingSpanExporter())] });
}

function tracingAndMetrics(sampler?: Sampler): Setup {
  const tracers = tracerProvider(sampler);
  const meters = meterProvider();
  return {
    telemetry: { tracerProvider: tracers, meterProvider: meters, propagator: new W3CTraceContextPropagator() },
    shutdown: async () => {
      await tracers.shutdown();
      await meters.shutdown();
    },
  };
}

function meterProvider(): MeterProvider {
  return new MeterProvider({ readers: [new PeriodicExportingMetricReader({ exporter: new DiscardingMetricExporter(), exportIntervalMillis: METRIC_INTERVAL_MS })] });
}

const none = async (): Promise<void> => undefined;
const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00';
const VARIANTS: VariantSpec[] = [
  { name: 'off (telemetry: false)', contextManager: true, records: false, setup: () => ({ telemetry: false, shutdown: none }) },
  { name: 'no OTel (no context manager)', contextManager: false, records: false, setup: () => ({ telemetry: false, shutdown: none }) },
  // What carrying trace context costs on the wire alone: a `traceparent`-sized header on every message, no OTel work.
  {
    name: 'wire only (traceparent header, telemetry: false)',
    contextManager: true,
    records: false,
    setup: () => ({
      telemetry: false,
      publishMiddleware: [(message, next) => next({ ...message, properties: { ...message.properties, headers: { ...message.properties.headers, traceparent: TRACEPARENT } } })],
      shutdown: none,
    }),
  },
  { name: 'API, no SDK (default, no-op)', contextManager: true, records: false, setup: () => ({ telemetry: undefined, shutdown: none }) },
  {
    name: 'tracing only',
    contextManager: true,
    records: true,
    setup: () => {
      const tracers = tracerProvider();
      return { telemetry: { tracerProvider: tracers, metrics: false, propagator: new W3CTraceContextPropagator() }, shutdown: () => tracers.shutdown() };
    },
  },
  {
    name: 'metrics only',
    contextManager: true,
    records: true,
    setup: () => {
      const meters = meterProvider();
      return { telemetry: { meterProvider: meters, traces: false }, shutdown: () => meters.shutdown() };
    },
  },
  { name: 'tracing + metrics', contextManager: true, records: true, setup: () => tracingAndMetrics() },
  // What production sampling costs: one trace in ten recorded, the others propagated without recording.
  { name: 'sampled 1/10, tracing + metrics', contextManager: true, records: true, setup: () => tracingAndMetrics(new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0.1) })) },
];

interface Rig {
  /** Messages per second of one run. */
  run(): Promise<number>;
  /** This process's CPU time per message (user + system, µs) in the last run: unlike throughput, barely moved by other processes' load. */
  readonly cpuPerMessage: number;
  close(): Promise<void>;
}

interface Target {
  readonly transport: () => Library.MessagingTransport;
  readonly topology: Library.TopologyDefinition;
  readonly exchange: string;
  readonly queue: string;
  readonly messages: number;
}

async function boot(lib: Lib, variant: VariantSpec, target: Target): Promise<Rig> {
  const Tick = lib.defineContract({ name: 'bench.tick', exchange: target.exchange, routingKey: 'tick', schema });
  let handled = 0;
  let expected = 0;
  let done = deferred();
  @Injectable()
  class TickConsumer {
    @lib.Consumer(Tick, { queue: target.queue, prefetch: Number(process.env.BENCH_PREFETCH ?? 200) })
    handle(): void {
      if (++handled === expected) done.resolve();
    }
  }
  @Injectable()
  class Sender {
    constructor(@lib.Producer(Tick) readonly producer: Library.TypedProducer<typeof Tick>) {}
  }
  const { telemetry, shutdown, publishMiddleware } = variant.setup();
  const options = { transport: target.transport, topology: target.topology, publishMiddleware, ...(telemetry === undefined ? {} : { telemetry }) };
  @Module({ imports: [lib.MessagingModule.forRoot(options), lib.MessagingModule.forFeature([Tick])], providers: [TickConsumer, Sender] })
  class BenchModule {}
  const app: INestApplicationContext = await NestFactory.createApplicationContext(BenchModule, { logger: false });
  await app.init();
  const producer = app.get(Sender).producer;
  const rig = {
    cpuPerMessage: Number.NaN,
    run: async () => {
      done = deferred();
      expected = handled + target.messages;
      const started = process.hrtime.bigint();
      const cpu = process.cpuUsage();
      await publishWindowed(target.messages, benchConfig.publishWindow, (i) => producer.send(payloadOfSize(i, benchConfig.bodyBytes)));
      await done.promise;
      const used = process.cpuUsage(cpu);
      rig.cpuPerMessage = (used.user + used.system) / target.messages;
      return target.messages / (Number(process.hrtime.bigint() - started) / 1e9);
    },
    close: async () => {
      await app.close();
      await shutdown();
    },
  };
  return rig;
}

/** The per-round ratios of two series run in the same rounds: median (min..max). */
function pairedRatio(series: SeriesStats, base: SeriesStats): string {
  const ratios = series.samples.map((value, round) => value / base.samples[round]!);
  const stats = seriesStats(ratios);
  return `${stats.median.toFixed(2)}× (${stats.min.toFixed(2)}..${stats.max.toFixed(2)})`;
}

/** Registers the context manager for the variants that have one and takes it away for those that do not. */
function contextSwitcher(): (wanted: boolean) => void {
  const manager = new AsyncLocalStorageContextManager();
  let registered = false;
  return (wanted) => {
    if (wanted === registered) return;
    if (wanted) {
      context.setGlobalContextManager(manager.enable());
      // Node 20's AsyncLocalStorage installs its promise hooks on the first `with`, and keeps them: enable
      // them now, as any app tracing other things has, or `off` rounds run before the first traced round
      // would be faster than those after it (measured: up to 2× apart on the memory transport).
      context.with(context.active(), () => undefined);
    } else {
      context.disable();
      manager.disable();
    }
    registered = wanted;
  };
}

interface Entry {
  readonly name: string;
  readonly spec: VariantSpec;
  readonly lib: Lib;
}

async function measure(title: string, entries: readonly Entry[], target: (index: number) => Target, useContext: (wanted: boolean) => void): Promise<void> {
  const rigs: Rig[] = [];
  try {
    for (const [index, entry] of entries.entries()) {
      useContext(entry.spec.contextManager);
      rigs.push(await boot(entry.lib, entry.spec, target(index)));
    }
    const cpu = new Map<string, number[]>(entries.map((entry) => [entry.name, []]));
    let warm = false;
    const runOf = (index: number) => async () => {
      useContext(entries[index]!.spec.contextManager);
      const rate = await rigs[index]!.run();
      if (warm) cpu.get(entries[index]!.name)!.push(rigs[index]!.cpuPerMessage);
      return rate;
    };
    for (const index of rigs.keys()) await runOf(index)(); // warm-up
    warm = true;
    const results: Map<string, SeriesStats> = await interleave(
      entries.map((entry, index) => ({ name: entry.name, run: runOf(index) })),
      ROUNDS,
    );
    const cpuResults = new Map([...cpu].map(([name, samples]) => [name, seriesStats(samples)]));
    const off = entries.find((entry) => entry.spec.name.startsWith('off'))?.name;
    printTable(title, 'msg/s', results, off);
    if (off) {
      const base = results.get(off)!.median;
      for (const [name, stats] of results) if (name !== off) say(`  ${name}: ${(((base - stats.median) / base) * 100).toFixed(1)}% below off`);
      // Paired per round (the same round's runs share the machine's load), steadier than ratios of medians.
      say('  per-round ratios, median (min..max):');
      for (const name of results.keys()) if (name !== off) say(`    ${name} / off: ${pairedRatio(results.get(name)!, results.get(off)!)}`);
    }
    for (const name of results.keys()) {
      const before = results.get(`before: ${name}`);
      if (before) say(`    ${name}, new / before: ${pairedRatio(results.get(name)!, before)}`);
    }
    printTable('  CPU time of this process per message (user + system), µs', 'µs', cpuResults, off, 1);
    for (const name of cpuResults.keys()) {
      const before = cpuResults.get(`before: ${name}`);
      if (before) say(`    ${name}, CPU new / before: ${pairedRatio(cpuResults.get(name)!, before)}`);
    }
  } finally {
    useContext(true);
    for (const rig of rigs) await rig.close();
  }
}

async function main(): Promise<void> {
  const current = (await import('../lib/index.js')) as Lib;
  const baselinePath = process.env.BENCH_BASELINE;
  const baseline = baselinePath ? ((await import(pathToFileURL(baselinePath).href)) as Lib) : undefined;
  const selected = VARIANTS.filter((variant) => !ONLY || ONLY.some((prefix) => variant.name.startsWith(prefix)));
  const entries: Entry[] = selected.map((spec) => ({ name: spec.name, spec, lib: current }));
  if (baseline) for (const spec of selected) if (spec.records) entries.push({ name: `before: ${spec.name}`, spec, lib: baseline });
  const useContext = contextSwitcher();
  say(`telemetry bench: ${ROUNDS} rounds (+1 warm-up), ${benchConfig.bodyBytes}-byte bodies, window ${benchConfig.publishWindow}${baseline ? `, baseline ${baselinePath}` : ''}`);

  if (WITH_MEMORY) {
    const memoryTarget = (index: number): Target => {
      const exchange = `bench.${index}`;
      const queue = `bench.${index}.q`;
      const topology = { exchanges: [{ name: exchange, type: 'direct' as const }], queues: [{ name: queue }], bindings: [{ exchange, queue, routingKey: 'tick' }] };
      return { transport: () => new entries[index]!.lib.MemoryTransport({ maxRecords: 0 }), topology, exchange, queue, messages: MEMORY_MESSAGES };
    };
    await measure(`Memory transport, ${MEMORY_MESSAGES} messages per run, msg/s`, entries, memoryTarget, useContext);
  }

  if (WITH_AMQP) {
    const suffix = randomUUID().slice(0, 8);
    const names = entries.map((_, i) => ({ exchange: `bench.tel.${suffix}.${i}`, queue: `bench.tel.${suffix}.${i}.q` }));
    const amqpTarget = (index: number): Target => {
      const { exchange, queue } = names[index]!;
      const topology = { exchanges: [{ name: exchange, type: 'direct' as const, durable: false }], queues: [{ name: queue, durable: false }], bindings: [{ exchange, queue, routingKey: 'tick' }] };
      return { transport: () => new entries[index]!.lib.AmqpTransport({ urls: benchConfig.url, connectionName: `bench-telemetry-${suffix}-${index}` }), topology, exchange, queue, messages: AMQP_MESSAGES };
    };
    try {
      await measure(`RabbitMQ (${benchConfig.url.replace(/:[^:@/]*@/, ':***@')}), ${AMQP_MESSAGES} persistent messages per run, msg/s`, entries, amqpTarget, useContext);
    } finally {
      const connection = await amqplib.connect(benchConfig.url);
      const channel = await connection.createChannel();
      for (const { exchange, queue } of names) {
        await channel.deleteQueue(queue);
        await channel.deleteQueue(`${queue}.error`);
        await channel.deleteExchange(exchange);
      }
      await connection.close();
    }
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
