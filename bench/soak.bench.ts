import { Injectable, Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { AmqpTransport, Consumer, defineContract, MessagingModule, Producer, type TypedProducer } from '../lib/index.js';
import { benchConfig, deferred, payloadOfSize, publishWindowed } from './bench.config.js';
import { fmt, say, writeResults } from './bench.stats.js';
import { bootMemoryApp } from './memory.bench.js';
import { deleteQueues } from './sdk.bench.js';

/** Something to push messages through: send `n` and resolve once all were handled. */
interface SoakTarget {
  readonly name: string;
  pump(n: number): Promise<void>;
  close(): Promise<void>;
}

/** One sample of the series: after `messages` messages, the process's memory in MiB. */
interface MemorySample {
  readonly messages: number;
  readonly rssMiB: number;
  readonly heapUsedMiB: number;
  /** Buffers and other memory outside the V8 heap. */
  readonly externalMiB: number;
}

const SoakMessage = defineContract({ name: 'bench.soak', exchange: '', schema: z.object({ seq: z.number().int(), pad: z.string() }) });

async function memoryTarget(): Promise<SoakTarget> {
  const { app, producer, expect } = await bootMemoryApp(undefined, {});
  let seq = 0;
  return {
    name: 'memory transport (defaults, 1,000 records)',
    pump: async (n) => {
      const handled = expect(n);
      await publishWindowed(n, 1000, () => producer.send({ seq: seq++, note: 'soak' }));
      await handled;
    },
    close: () => app.close(),
  };
}

async function rabbitTarget(): Promise<SoakTarget> {
  const queue = `bench.soak.${randomUUID().slice(0, 8)}`;
  let remaining = 0;
  let waiter = deferred();
  @Injectable()
  class SoakConsumer {
    @Consumer(SoakMessage, { queue })
    handle(): void {
      if (--remaining === 0) waiter.resolve();
    }
  }
  @Injectable()
  class SoakProducer {
    constructor(@Producer(SoakMessage) readonly producer: TypedProducer<typeof SoakMessage>) {}
  }
  @Module({
    imports: [
      MessagingModule.forRoot({ transport: new AmqpTransport({ urls: benchConfig.url, connectionName: 'bench-soak' }), topology: { queues: [{ name: queue, durable: true }] } }),
      MessagingModule.forFeature([SoakMessage]),
    ],
    providers: [SoakConsumer, SoakProducer],
  })
  class SoakModule {}
  const app: INestApplicationContext = await NestFactory.createApplicationContext(SoakModule, { logger: ['error'] });
  const { producer } = app.get(SoakProducer);
  let seq = 0;
  return {
    name: 'RabbitMQ (defaults)',
    pump: async (n) => {
      remaining = n;
      waiter = deferred();
      await publishWindowed(n, benchConfig.publishWindow, () => producer.send(payloadOfSize(seq++, benchConfig.bodyBytes), { routingKey: queue }));
      await waiter.promise;
    },
    close: async () => {
      await app.close();
      await deleteQueues(benchConfig.url, [queue, `${queue}.error`]);
    },
  };
}

/** Samples after a full collection when `--expose-gc` is on (`npm run bench` sets it): retained memory, not GC timing. */
function sample(messages: number): MemorySample {
  (globalThis as { gc?: () => void }).gc?.();
  const { rss, heapUsed, external } = process.memoryUsage();
  return { messages, rssMiB: rss / 2 ** 20, heapUsedMiB: heapUsed / 2 ** 20, externalMiB: external / 2 ** 20 };
}

/** Largest deviation of the samples after warm-up from their median, in percent. */
function spread(values: readonly number[]): { medianMiB: number; minPct: number; maxPct: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
  return { medianMiB: median, minPct: ((sorted[0]! - median) / median) * 100, maxPct: ((sorted.at(-1)! - median) / median) * 100 };
}

async function soak(target: SoakTarget, total: number, every: number, warmup: number): Promise<{ samples: MemorySample[]; rss: ReturnType<typeof spread>; heap: ReturnType<typeof spread> }> {
  const samples: MemorySample[] = [sample(0)];
  say(`\n${target.name}: ${fmt(total)} messages, sampled every ${fmt(every)}`);
  say(`  ${'messages'.padStart(10)}  ${'rss MiB'.padStart(8)}  ${'heap MiB'.padStart(8)}  ${'ext MiB'.padStart(8)}`);
  for (let done = 0; done < total; ) {
    const n = Math.min(every, total - done);
    await target.pump(n);
    done += n;
    samples.push(sample(done));
    const last = samples.at(-1)!;
    say(`  ${fmt(last.messages).padStart(10)}  ${last.rssMiB.toFixed(1).padStart(8)}  ${last.heapUsedMiB.toFixed(1).padStart(8)}  ${last.externalMiB.toFixed(1).padStart(8)}`);
  }
  await target.close();
  const settled = samples.filter((s) => s.messages > warmup);
  const rss = spread(settled.map((s) => s.rssMiB));
  const heap = spread(settled.map((s) => s.heapUsedMiB));
  say(`  after ${fmt(warmup)} warm-up: rss median ${rss.medianMiB.toFixed(1)} MiB (${rss.minPct.toFixed(1)}% … +${rss.maxPct.toFixed(1)}%), heap median ${heap.medianMiB.toFixed(1)} MiB (${heap.minPct.toFixed(1)}% … +${heap.maxPct.toFixed(1)}%) (goal ±10%)`);
  return { samples, rss, heap };
}

/** `soak` mode: RSS and heap every 100k messages over 1M on the memory transport; `--rabbit` adds RabbitMQ. */
export async function soakMode(): Promise<void> {
  const total = Number(process.env.BENCH_SOAK_MESSAGES ?? 1_000_000);
  const every = Number(process.env.BENCH_SOAK_EVERY ?? 100_000);
  const warmup = Number(process.env.BENCH_SOAK_WARMUP ?? 2 * every);
  say(`soak bench: ${fmt(total)} messages per transport through the module, memory sampled every ${fmt(every)}`);
  const results: Record<string, unknown> = { memory: await soak(await memoryTarget(), total, every, warmup) };
  if (process.argv.includes('--rabbit')) {
    const rabbitTotal = Number(process.env.BENCH_SOAK_RABBIT_MESSAGES ?? total);
    results['rabbitmq'] = await soak(await rabbitTarget(), rabbitTotal, every, warmup);
  }
  const path = await writeResults('soak', { total, every, warmup, rabbit: process.argv.includes('--rabbit') }, results);
  say(`  results: ${path}`);
}
