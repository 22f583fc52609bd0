import 'reflect-metadata';
import { Injectable, Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ExportResultCode, W3CTraceContextPropagator, type ExportResult } from '@opentelemetry/core';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import amqplib from 'amqplib';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import {
  AmqpTransport,
  Consumer,
  defineContract,
  MemoryTransport,
  MessagingModule,
  Producer,
  type MessagingModuleOptions,
  type MessagingTransport,
  type TopologyDefinition,
  type TypedProducer,
} from '../lib/index.js';
import { benchConfig, deferred, payloadOfSize, publishWindowed } from './bench.config.js';

/**
 * Throughput through the Nest module (publish with confirm → consume → ack) with telemetry off, with the
 * API installed but no SDK registered (the no-op path every app with `@opentelemetry/api` in its tree
 * gets), and with tracing + metrics recording into a real SDK (batch span processor, discarding
 * exporter; meter provider with a reader). Rounds interleave the variants, rotating their order.
 * `BENCH_VARIANTS=off` runs only the first: run it against an older build to compare before/after.
 */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const MEMORY_MESSAGES = Number(process.env.BENCH_MESSAGES ?? 20_000);
const AMQP_MESSAGES = Number(process.env.BENCH_AMQP_MESSAGES ?? 5_000);
const ONLY = process.env.BENCH_VARIANTS?.split(',');
const WITH_AMQP = process.env.BENCH_AMQP !== '0';

const schema = z.object({ seq: z.number().int(), pad: z.string() });

/** Receives spans and drops them: the cost measured is recording and batching, not a collector. */
class DiscardingExporter implements SpanExporter {
  export(_spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    done({ code: ExportResultCode.SUCCESS });
  }
  async shutdown(): Promise<void> {}
}

class IdleReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

interface Variant {
  readonly name: string;
  readonly telemetry: () => { options: Partial<MessagingModuleOptions>; shutdown: () => Promise<void> };
}

const VARIANTS: Variant[] = [
  { name: 'off (telemetry: false)', telemetry: () => ({ options: { telemetry: false }, shutdown: async () => undefined }) },
  { name: 'API, no SDK (default, no-op)', telemetry: () => ({ options: {}, shutdown: async () => undefined }) },
  {
    name: 'tracing only',
    telemetry: () => {
      const tracerProvider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(new DiscardingExporter(), { maxQueueSize: 8192 })] });
      return { options: { telemetry: { tracerProvider, metrics: false, propagator: new W3CTraceContextPropagator() } }, shutdown: () => tracerProvider.shutdown() };
    },
  },
  {
    name: 'metrics only',
    telemetry: () => {
      const meterProvider = new MeterProvider({ readers: [new IdleReader()] });
      return { options: { telemetry: { meterProvider, traces: false } }, shutdown: () => meterProvider.shutdown() };
    },
  },
  {
    name: 'tracing + metrics recording',
    telemetry: () => {
      const tracerProvider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(new DiscardingExporter(), { maxQueueSize: 8192 })] });
      const meterProvider = new MeterProvider({ readers: [new IdleReader()] });
      return {
        options: { telemetry: { tracerProvider, meterProvider, propagator: new W3CTraceContextPropagator() } },
        shutdown: async () => {
          await tracerProvider.shutdown();
          await meterProvider.shutdown();
        },
      };
    },
  },
];

interface Rig {
  run(): Promise<number>;
  close(): Promise<void>;
}

async function boot(variant: Variant, transport: () => MessagingTransport, topology: TopologyDefinition, exchange: string, queue: string, messages: number): Promise<Rig> {
  const Tick = defineContract({ name: 'bench.tick', exchange, routingKey: 'tick', schema });
  let handled = 0;
  let target = 0;
  let done = deferred();
  @Injectable()
  class TickConsumer {
    @Consumer(Tick, { queue, prefetch: Number(process.env.BENCH_PREFETCH ?? 200) })
    handle(): void {
      if (++handled === target) done.resolve();
    }
  }
  @Injectable()
  class Sender {
    constructor(@Producer(Tick) readonly producer: TypedProducer<typeof Tick>) {}
  }
  const { options, shutdown } = variant.telemetry();
  @Module({ imports: [MessagingModule.forRoot({ transport, topology, ...options }), MessagingModule.forFeature([Tick])], providers: [TickConsumer, Sender] })
  class BenchModule {}
  const app: INestApplicationContext = await NestFactory.createApplicationContext(BenchModule, { logger: false });
  await app.init();
  const producer = app.get(Sender).producer;
  return {
    run: async () => {
      done = deferred();
      target = handled + messages;
      const started = process.hrtime.bigint();
      await publishWindowed(messages, benchConfig.publishWindow, (i) => producer.send(payloadOfSize(i, benchConfig.bodyBytes)));
      await done.promise;
      return messages / (Number(process.hrtime.bigint() - started) / 1e9);
    },
    close: async () => {
      await app.close();
      await shutdown();
    },
  };
}

function stats(values: number[]): { median: number; min: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)]!, min: sorted[0]!, max: sorted.at(-1)! };
}

async function measure(title: string, rigs: Array<[string, Rig]>): Promise<void> {
  const results = new Map<string, number[]>(rigs.map(([name]) => [name, []]));
  for (const [, rig] of rigs) await rig.run(); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < rigs.length; i++) {
      const [name, rig] = rigs[(i + round) % rigs.length]!;
      results.get(name)!.push(await rig.run());
    }
  }
  const base = stats(results.values().next().value!).median;
  process.stdout.write(`\n${title}\n`);
  for (const [name, values] of results) {
    const { median, min, max } = stats(values);
    const delta = ((base - median) / base) * 100;
    process.stdout.write(`  ${name.padEnd(32)} median ${median.toFixed(0).padStart(7)} msg/s  min ${min.toFixed(0).padStart(7)}  max ${max.toFixed(0).padStart(7)}  overhead ${delta.toFixed(1).padStart(5)}%\n`);
  }
}

async function main(): Promise<void> {
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  const variants = VARIANTS.filter((variant) => !ONLY || ONLY.some((prefix) => variant.name.startsWith(prefix)));
  process.stdout.write(`telemetry bench: ${ROUNDS} rounds (+1 warm-up), ${benchConfig.bodyBytes}-byte bodies, window ${benchConfig.publishWindow}\n`);

  const memoryTopology = (exchange: string, queue: string): TopologyDefinition => ({
    exchanges: [{ name: exchange, type: 'direct' }],
    queues: [{ name: queue }],
    bindings: [{ exchange, queue, routingKey: 'tick' }],
  });
  const memory = await Promise.all(
    variants.map(async (variant) => [variant.name, await boot(variant, () => new MemoryTransport({ maxRecords: 0 }), memoryTopology('bench', 'bench.q'), 'bench', 'bench.q', MEMORY_MESSAGES)] as [string, Rig]),
  );
  await measure(`Memory transport, ${MEMORY_MESSAGES} messages per run, msg/s`, memory);
  for (const [, rig] of memory) await rig.close();

  if (WITH_AMQP) {
    const suffix = randomUUID().slice(0, 8);
    const names = variants.map((_, i) => ({ exchange: `bench.tel.${suffix}.${i}`, queue: `bench.tel.${suffix}.${i}.q` }));
    try {
      const amqp: Array<[string, Rig]> = [];
      for (const [i, variant] of variants.entries()) {
        const { exchange, queue } = names[i]!;
        const topology: TopologyDefinition = { exchanges: [{ name: exchange, type: 'direct', durable: false }], queues: [{ name: queue, durable: false }], bindings: [{ exchange, queue, routingKey: 'tick' }] };
        amqp.push([variant.name, await boot(variant, () => new AmqpTransport({ urls: benchConfig.url }), topology, exchange, queue, AMQP_MESSAGES)]);
      }
      await measure(`RabbitMQ (${benchConfig.url.replace(/:[^:@/]*@/, ':***@')}), ${AMQP_MESSAGES} persistent messages per run, msg/s`, amqp);
      for (const [, rig] of amqp) await rig.close();
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
  contextManager.disable();
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
