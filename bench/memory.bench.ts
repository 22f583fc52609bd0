import 'reflect-metadata';
import { Injectable, Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { z } from 'zod';
import { Consumer, defineContract, MemoryTransport, MessagingModule, Producer, type MemoryTransportOptions, type TypedProducer } from '../lib/index.js';
import { deferred, publishWindowed } from './bench.config.js';
import { fmt, interleave, printTable, say, seriesStats, writeResults, type SeriesStats } from './bench.stats.js';

const Tick = defineContract({
  name: 'bench.memory.tick',
  exchange: 'bench.memory',
  routingKey: 'tick',
  schema: z.object({ seq: z.number().int(), note: z.string() }),
});

/** Settings of one memory run. */
export interface MemoryRunSettings {
  readonly messages: number;
  /** Sends awaiting their confirm at once. */
  readonly window: number;
  /** The consumer's prefetch; `undefined` keeps the module default. */
  readonly prefetch: number | undefined;
  readonly transport: MemoryTransportOptions;
}

/** A booted app with its producer and a way to wait for `n` handled messages. */
export interface MemoryApp {
  readonly app: INestApplicationContext;
  readonly producer: TypedProducer<typeof Tick>;
  /** Resolves once the consumer has handled `n` more messages. */
  expect(n: number): Promise<void>;
}

/** Boots the module on a fresh memory transport with one validated `@Consumer` and one typed producer. */
export async function bootMemoryApp(prefetch: number | undefined, transportOptions: MemoryTransportOptions): Promise<MemoryApp> {
  let remaining = 0;
  let waiter = deferred();
  @Injectable()
  class TickConsumer {
    @Consumer(Tick, { queue: 'bench.memory.ticks', ...(prefetch === undefined ? {} : { prefetch }) })
    handle(): void {
      if (--remaining === 0) waiter.resolve();
    }
  }
  @Injectable()
  class TickProducer {
    constructor(@Producer(Tick) readonly producer: TypedProducer<typeof Tick>) {}
  }
  @Module({
    imports: [
      MessagingModule.forRoot({
        transport: new MemoryTransport(transportOptions),
        topology: {
          exchanges: [{ name: 'bench.memory', type: 'direct' }],
          queues: [{ name: 'bench.memory.ticks' }],
          bindings: [{ exchange: 'bench.memory', queue: 'bench.memory.ticks', routingKey: 'tick' }],
        },
      }),
      MessagingModule.forFeature([Tick]),
    ],
    providers: [TickConsumer, TickProducer],
  })
  class MemoryBenchModule {}
  const app = await NestFactory.createApplicationContext(MemoryBenchModule, { logger: false });
  await app.init();
  return {
    app,
    producer: app.get(TickProducer).producer,
    expect: (n) => {
      remaining = n;
      waiter = deferred();
      return waiter.promise;
    },
  };
}

/** Msgs/s and msgs per CPU-second of this process (user + system) over the same timed section. */
export interface MemoryRunFigures {
  readonly wall: number;
  readonly perCpuSecond: number;
}

/** Publishes `messages` through the module and waits until all were handled; returns msgs/s. */
export async function runMemory(settings: MemoryRunSettings): Promise<number> {
  return (await measureMemory(settings)).wall;
}

/** {@link runMemory} with msgs per CPU-second too, both over the timed section only (not boot or close). */
export async function measureMemory(settings: MemoryRunSettings): Promise<MemoryRunFigures> {
  const { app, producer, expect } = await bootMemoryApp(settings.prefetch, settings.transport);
  try {
    const handled = expect(settings.messages);
    const cpu = process.cpuUsage();
    const started = process.hrtime.bigint();
    await publishWindowed(settings.messages, settings.window, (seq) => producer.send({ seq, note: 'memory bench' }));
    await handled;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const used = process.cpuUsage(cpu);
    return { wall: settings.messages / seconds, perCpuSecond: settings.messages / ((used.user + used.system) / 1e6) };
  } finally {
    await app.close();
  }
}

/**
 * `memory` mode: msgs/s end to end through the Nest module on the memory transport (validation on both
 * sides, the default pipeline), at two sizes so a cost that grows with N shows as a ratio below 1.
 */
export async function memoryMode(): Promise<void> {
  const small = Number(process.env.BENCH_MEMORY_SMALL ?? 200_000);
  const large = Number(process.env.BENCH_MEMORY_LARGE ?? 2_000_000);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  // A send window and prefetch of 100 keep fewer messages in flight than 1000 (fewer survivors per
  // scavenge) and measured faster; both are overridable to compare.
  const window = Number(process.env.BENCH_MEMORY_WINDOW ?? 100);
  const prefetch = Number(process.env.BENCH_MEMORY_PREFETCH ?? 100);
  say(`memory bench: N=${fmt(small)} and N=${fmt(large)}, send window ${window}, prefetch ${prefetch} (and the module default), ${rounds} rounds after a warm-up`);
  // Msgs per CPU-second (user + system of this process) next to wall msgs/s: steadier on a shared machine,
  // where wall time also counts the turns other processes took.
  const perCpu = new Map<string, number[]>();
  const variant = (label: string, messages: number, prefetchOf: number | undefined, transport: MemoryTransportOptions) => ({
    name: label,
    run: async () => {
      const figures = await measureMemory({ messages, window, prefetch: prefetchOf, transport });
      perCpu.set(label, [...(perCpu.get(label) ?? []), figures.perCpuSecond]);
      return figures.wall;
    },
  });
  const variants = [
    variant(`N=${fmt(small)} records off`, small, prefetch, { maxRecords: 0 }),
    variant(`N=${fmt(large)} records off`, large, prefetch, { maxRecords: 0 }),
    variant(`N=${fmt(small)} records default (1k)`, small, prefetch, {}),
    variant(`N=${fmt(large)} records default (1k)`, large, prefetch, {}),
    variant(`N=${fmt(small)} records 10k`, small, prefetch, { maxRecords: 10_000 }),
    variant(`N=${fmt(large)} records 10k`, large, prefetch, { maxRecords: 10_000 }),
    variant(`N=${fmt(small)} records default, module default prefetch`, small, undefined, {}),
  ];
  await runMemory({ messages: Math.min(small, 50_000), window, prefetch, transport: {} }); // warm-up: JIT
  const results = await interleave(variants, rounds, (round, figures) =>
    say(`  round ${round}: ${[...figures].map(([name, v]) => `${name} ${fmt(v)}`).join(', ')}`),
  );
  printTable('Memory transport through the module, msgs/s', 'msgs/s', results, variants[0]!.name);
  const cpuResults = new Map([...perCpu].map(([name, samples]) => [name, seriesStats(samples)]));
  printTable('Memory transport through the module, msgs per CPU-second', 'msgs/CPU-s', cpuResults, variants[0]!.name);
  const ratio = (a: string, b: string) => results.get(a)!.median / results.get(b)!.median;
  const independence = {
    recordsOff: ratio(variants[1]!.name, variants[0]!.name),
    records: ratio(variants[3]!.name, variants[2]!.name),
    records10k: ratio(variants[5]!.name, variants[4]!.name),
  };
  say(
    `  N-independence (N=${fmt(large)} / N=${fmt(small)}): records off ${independence.recordsOff.toFixed(2)}, records default ${independence.records.toFixed(2)}, ` +
      `records 10k ${independence.records10k.toFixed(2)} (goal 0.90–1.10)`,
  );
  const path = await writeResults('memory', { small, large, rounds, window, prefetch }, { series: results, perCpuSecond: cpuResults, independence });
  say(`  results: ${path}`);
}

export type { SeriesStats };
