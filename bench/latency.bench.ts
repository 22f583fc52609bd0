import amqplib from 'amqplib';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { defineContract } from '../lib/index.js';
import { benchConfig, payloadOfSize } from './bench.config.js';
import { fmt, interleave, quantile, say, seriesStats, writeResults, type SeriesStats } from './bench.stats.js';
import { startPublisherApp } from './publisher-app.bench.js';

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


/**
 * The properties every SDK publish carries besides raw amqplib's (a UUID messageId, the contract name as
 * `type`, a timestamp in seconds, mandatory), for the like-for-like baseline: on RabbitMQ 3.10 they alone
 * lengthen raw amqplib's confirm tail by about as much as separates the SDK from plain raw amqplib.
 */
function sdkProperties(): amqplib.Options.Publish {
  return { mandatory: true, messageId: randomUUID(), type: LatencyMessage.name, timestamp: Math.floor(Date.now() / 1000) };
}

async function rawLatency(count: number, rate: number, noDelay: boolean, likeSdk: boolean): Promise<Percentiles> {
  const queue = `bench.latency.raw.${randomUUID().slice(0, 8)}`;
  const connection = await amqplib.connect(benchConfig.url, { noDelay });
  try {
    const channel = await connection.createConfirmChannel();
    await channel.assertQueue(queue, { durable: true });
    const result = await paced(count, rate, (seq) => {
      const body = Buffer.from(JSON.stringify(payloadOfSize(seq, benchConfig.bodyBytes)));
      const properties: amqplib.Options.Publish = { persistent: true, contentType: 'application/json', ...(likeSdk ? sdkProperties() : {}) };
      return new Promise<void>((resolve, reject) =>
        channel.publish('', queue, body, properties, (error) => (error ? reject(error) : resolve())),
      );
    });
    await channel.deleteQueue(queue);
    return result;
  } finally {
    await connection.close();
  }
}

async function sdkLatency(count: number, rate: number, noDelay: boolean): Promise<Percentiles> {
  const { producer, queue, close } = await startPublisherApp(LatencyMessage, 'latency', noDelay);
  try {
    return await paced(count, rate, (seq) => producer.send(payloadOfSize(seq, benchConfig.bodyBytes), { routingKey: queue }));
  } finally {
    await close();
  }
}

const RAW = 'raw amqplib';
const RAW_PROPS = 'raw amqplib + sdk properties';
const SDK = 'sdk';
const NAGLE = ', Nagle on';
const NO_DELAY = ', TCP_NODELAY';

/**
 * `latency` mode: publish send → confirm p50/p99 at a fixed rate, SDK vs raw amqplib (plain, and sending
 * the SDK's message properties: the like-for-like baseline for the tail), each with Nagle on
 * (both libraries' default) and with TCP_NODELAY, in interleaved rounds. `BENCH_NAGLE=on|off` keeps one.
 */
export async function latencyMode(): Promise<void> {
  const rate = Number(process.env.BENCH_RATE ?? 2000);
  const count = Number(process.env.BENCH_LATENCY_MESSAGES ?? 10_000);
  const nagle = process.env.BENCH_NAGLE ?? 'both';
  const { rounds } = benchConfig;
  say(`latency bench: ${fmt(count)} persistent ${benchConfig.bodyBytes}-byte messages at ${fmt(rate)} msgs/s, send → confirm, ${rounds} rounds`);
  const variants: Array<{ name: string; run: () => Promise<Percentiles> }> = [];
  for (const noDelay of nagle === 'on' ? [false] : nagle === 'off' ? [true] : [false, true]) {
    const suffix = noDelay ? NO_DELAY : NAGLE;
    variants.push({ name: RAW + suffix, run: () => rawLatency(count, rate, noDelay, false) });
    variants.push({ name: RAW_PROPS + suffix, run: () => rawLatency(count, rate, noDelay, true) });
    variants.push({ name: SDK + suffix, run: () => sdkLatency(count, rate, noDelay) });
  }
  const p99s = new Map<string, number[]>(variants.map(({ name }) => [name, []]));
  const p50s = await interleave(
    variants.map(({ name, run }) => ({
      name,
      run: async () => {
        const { p50, p99 } = await run();
        p99s.get(name)!.push(p99);
        return p50;
      },
    })),
    rounds,
    (round, figures) => say(`  round ${round}: ${[...figures].map(([name, p50]) => `${name} p50 ${p50.toFixed(2)} p99 ${p99s.get(name)!.at(-1)!.toFixed(2)}`).join(' | ')}`),
  );
  const table = new Map<string, { p50: SeriesStats; p99: SeriesStats }>(
    [...p50s].map(([name, p50]) => [name, { p50, p99: seriesStats(p99s.get(name)!) }]),
  );
  say('\nPublish latency, ms (median of rounds, [min–max])');
  const width = Math.max(...[...table.keys()].map((name) => name.length));
  for (const [name, { p50, p99 }] of table) {
    say(`  ${name.padEnd(width)} p50 ${p50.median.toFixed(2)} [${p50.min.toFixed(2)}–${p50.max.toFixed(2)}]   p99 ${p99.median.toFixed(2)} [${p99.min.toFixed(2)}–${p99.max.toFixed(2)}]`);
  }
  const gaps: Record<string, number> = {};
  const likeForLikeP99Gaps: Record<string, number> = {};
  for (const suffix of [NAGLE, NO_DELAY]) {
    const sdk = table.get(SDK + suffix);
    const raw = table.get(RAW + suffix);
    const like = table.get(RAW_PROPS + suffix);
    if (!sdk || !raw || !like) continue;
    gaps[suffix.slice(2)] = sdk.p50.median - raw.p50.median;
    likeForLikeP99Gaps[suffix.slice(2)] = sdk.p99.median - like.p99.median;
    say(`  ${suffix.slice(2)}: sdk p50 − raw p50 ${(sdk.p50.median - raw.p50.median).toFixed(2)} ms (goal ≤ 1 ms); sdk p99 ${sdk.p99.median.toFixed(2)} ms (goal < 10 ms idle)`);
    say(`  ${' '.repeat(suffix.length - 2)}  p99 sdk − raw ${(sdk.p99.median - raw.p99.median).toFixed(2)} ms, sdk − raw with the same properties ${(sdk.p99.median - like.p99.median).toFixed(2)} ms`);
  }
  const path = await writeResults('latency', { rate, count, rounds, bodyBytes: benchConfig.bodyBytes, nagle }, { series: table, p50GapMs: gaps, p99GapToSamePropertiesMs: likeForLikeP99Gaps });
  say(`  results: ${path}`);
}
