import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import amqplib from 'amqplib';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { AmqpTransport, defineContract, MessagingModule, Producer, type TypedProducer } from '../lib/index.js';
import { benchConfig, payloadOfSize } from './bench.config.js';
import { fmt, interleave, quantile, say, seriesStats, writeResults, type SeriesStats } from './bench.stats.js';
import { deleteQueues } from './sdk.bench.js';

const LatencyMessage = defineContract({ name: 'bench.latency', exchange: '', schema: z.object({ seq: z.number().int(), pad: z.string() }) });

interface Percentiles {
  readonly p50: number;
  readonly p99: number;
}

/**
 * Sends `count` messages at `rate` per second (paced on the clock, so a slow confirm never delays the
 * next send) and returns send → confirm latency percentiles in milliseconds.
 */
async function paced(count: number, rate: number, send: (seq: number) => Promise<unknown>): Promise<Percentiles> {
  const latencies: number[] = [];
  const pending: Array<Promise<void>> = [];
  const started = performance.now();
  let sent = 0;
  while (sent < count) {
    const due = Math.min(count, Math.floor(((performance.now() - started) * rate) / 1000) + 1);
    for (; sent < due; sent++) {
      const at = performance.now();
      pending.push(send(sent).then(() => void latencies.push(performance.now() - at)));
    }
    await sleep(1);
  }
  await Promise.all(pending);
  latencies.sort((a, b) => a - b);
  return { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99) };
}

async function rawLatency(count: number, rate: number): Promise<Percentiles> {
  const queue = `bench.latency.raw.${randomUUID().slice(0, 8)}`;
  const connection = await amqplib.connect(benchConfig.url);
  try {
    const channel = await connection.createConfirmChannel();
    await channel.assertQueue(queue, { durable: true });
    const result = await paced(count, rate, (seq) => {
      const body = Buffer.from(JSON.stringify(payloadOfSize(seq, benchConfig.bodyBytes)));
      return new Promise<void>((resolve, reject) =>
        channel.publish('', queue, body, { persistent: true, contentType: 'application/json' }, (error) => (error ? reject(error) : resolve())),
      );
    });
    await channel.deleteQueue(queue);
    return result;
  } finally {
    await connection.close();
  }
}

async function sdkLatency(count: number, rate: number): Promise<Percentiles> {
  const queue = `bench.latency.sdk.${randomUUID().slice(0, 8)}`;
  @Injectable()
  class LatencyProducer {
    constructor(@Producer(LatencyMessage) readonly producer: TypedProducer<typeof LatencyMessage>) {}
  }
  @Module({
    imports: [
      MessagingModule.forRoot({ transport: new AmqpTransport({ urls: benchConfig.url, connectionName: 'bench-latency' }), topology: { queues: [{ name: queue, durable: true }] } }),
      MessagingModule.forFeature([LatencyMessage]),
    ],
    providers: [LatencyProducer],
  })
  class LatencyModule {}
  const app = await NestFactory.createApplicationContext(LatencyModule, { logger: ['error'] });
  try {
    const { producer } = app.get(LatencyProducer);
    return await paced(count, rate, (seq) => producer.send(payloadOfSize(seq, benchConfig.bodyBytes), { routingKey: queue }));
  } finally {
    await app.close();
    await deleteQueues(benchConfig.url, [queue]);
  }
}

/** `latency` mode: publish send → confirm p50/p99 at a fixed rate, SDK vs raw amqplib, interleaved rounds. */
export async function latencyMode(): Promise<void> {
  const rate = Number(process.env.BENCH_RATE ?? 2000);
  const count = Number(process.env.BENCH_LATENCY_MESSAGES ?? 10_000);
  const { rounds } = benchConfig;
  say(`latency bench: ${fmt(count)} persistent ${benchConfig.bodyBytes}-byte messages at ${fmt(rate)} msgs/s, send → confirm, ${rounds} rounds`);
  const p99s = new Map<string, number[]>([['raw amqplib', []], ['sdk', []]]);
  const measure = (name: string, run: () => Promise<Percentiles>) => async () => {
    const { p50, p99 } = await run();
    p99s.get(name)!.push(p99);
    return p50;
  };
  const p50s = await interleave(
    [
      { name: 'raw amqplib', run: measure('raw amqplib', () => rawLatency(count, rate)) },
      { name: 'sdk', run: measure('sdk', () => sdkLatency(count, rate)) },
    ],
    rounds,
    (round, figures) => say(`  round ${round}: ${[...figures].map(([name, p50]) => `${name} p50 ${p50.toFixed(2)} ms p99 ${p99s.get(name)!.at(-1)!.toFixed(2)} ms`).join(' | ')}`),
  );
  const table = new Map<string, { p50: SeriesStats; p99: SeriesStats }>(
    [...p50s].map(([name, p50]) => [name, { p50, p99: seriesStats(p99s.get(name)!) }]),
  );
  say('\nPublish latency, ms (median of rounds, [min–max])');
  for (const [name, { p50, p99 }] of table) {
    say(`  ${name.padEnd(12)} p50 ${p50.median.toFixed(2)} [${p50.min.toFixed(2)}–${p50.max.toFixed(2)}]   p99 ${p99.median.toFixed(2)} [${p99.min.toFixed(2)}–${p99.max.toFixed(2)}]`);
  }
  const p50Gap = table.get('sdk')!.p50.median - table.get('raw amqplib')!.p50.median;
  say(`  sdk p50 − raw p50: ${p50Gap.toFixed(2)} ms (goal ≤ 1 ms); sdk p99 ${table.get('sdk')!.p99.median.toFixed(2)} ms (goal < 10 ms idle)`);
  const path = await writeResults('latency', { rate, count, rounds, bodyBytes: benchConfig.bodyBytes }, { series: table, p50GapMs: p50Gap });
  say(`  results: ${path}`);
}
