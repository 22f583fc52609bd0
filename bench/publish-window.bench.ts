import amqplib from 'amqplib';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { defineContract } from '../lib/index.js';
import { benchConfig, payloadOfSize, publishWindowed } from './bench.config.js';
import { fmt, interleave, printTable, say, seriesStats, writeResults, type Variant } from './bench.stats.js';
import { startPublisherApp } from './publisher-app.bench.js';

/** Client CPU (user + system) per message of the last run of each variant, µs: what the process itself spends. */
const cpuPerMessage = new Map<string, number[]>();

/** Runs `publish` and returns msgs/s, recording the process's CPU time per message under `name`. */
async function timed(name: string, count: number, publish: () => Promise<void>): Promise<number> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  await publish();
  const rate = count / ((performance.now() - started) / 1000);
  const used = process.cpuUsage(cpu);
  const samples = cpuPerMessage.get(name) ?? [];
  samples.push((used.user + used.system) / count);
  cpuPerMessage.set(name, samples);
  return rate;
}

const WindowMessage = defineContract({ name: 'bench.window', exchange: '', schema: z.object({ seq: z.number().int(), pad: z.string() }) });

/** Publish-only through the Nest module with default options: `window` sends awaiting their confirm at once. */
async function sdkPublish(name: string, count: number, window: number, noDelay = false): Promise<number> {
  const { producer, queue, close } = await startPublisherApp(WindowMessage, 'window', noDelay);
  try {
    const payloads = Array.from({ length: count }, (_, i) => payloadOfSize(i, benchConfig.bodyBytes));
    return await timed(name, count, () => publishWindowed(count, window, (i) => producer.send(payloads[i]!, { routingKey: queue })));
  } finally {
    await close();
  }
}

/** The same with amqplib alone: one confirm channel, no bound on what is in flight but the window. */
async function rawPublish(name: string, count: number, window: number, noDelay = false): Promise<number> {
  const queue = `bench.window.raw.${randomUUID().slice(0, 8)}`;
  const connection = await amqplib.connect(benchConfig.url, { noDelay });
  try {
    const channel = await connection.createConfirmChannel();
    await channel.assertQueue(queue, { durable: true });
    const rate = await timed(name, count, () =>
      publishWindowed(count, window, (i) => {
        const body = Buffer.from(JSON.stringify(payloadOfSize(i, benchConfig.bodyBytes)));
        return new Promise<void>((resolve, reject) =>
          channel.publish('', queue, body, { persistent: true, contentType: 'application/json', mandatory: true }, (error) => (error ? reject(error) : resolve())),
        );
      }),
    );
    await channel.deleteQueue(queue);
    return rate;
  } finally {
    await connection.close();
  }
}

/**
 * `window` mode: publish → confirm msgs/s (no consumer) with few vs many sends in flight, SDK defaults vs
 * raw amqplib, interleaved rounds. Flat figures across windows mean nothing on the publish path grows
 * with what is outstanding; with the SDK's defaults the large window also exercises waiting for room.
 * `BENCH_WINDOW_ONLY=sdk` (or `raw`) keeps one side, e.g. under a profiler; `BENCH_NODELAY=1` adds both
 * sides with TCP_NODELAY, for what Nagle is worth to publish throughput.
 */
export async function windowMode(): Promise<void> {
  const count = Number(process.env.BENCH_WINDOW_MESSAGES ?? 40_000);
  const windows = (process.env.BENCH_WINDOWS ?? '500,20000').split(',').map(Number);
  const { rounds } = benchConfig;
  const noDelay = process.env.BENCH_NODELAY === '1';
  say(`window bench: ${fmt(count)} persistent ${benchConfig.bodyBytes}-byte publishes, no consumer, windows ${windows.join(' / ')}, ${rounds} rounds`);
  const variants: Variant[] = windows.flatMap((window) => {
    const raw = `raw amqplib, window ${window}`;
    const sdk = `sdk defaults, window ${window}`;
    const variants: Variant[] = [
      { name: raw, run: () => rawPublish(raw, count, window) },
      { name: sdk, run: () => sdkPublish(sdk, count, window) },
    ];
    if (noDelay) {
      const rawNoDelay = `raw amqplib + TCP_NODELAY, window ${window}`;
      const sdkNoDelay = `sdk + TCP_NODELAY, window ${window}`;
      variants.push({ name: rawNoDelay, run: () => rawPublish(rawNoDelay, count, window, true) });
      variants.push({ name: sdkNoDelay, run: () => sdkPublish(sdkNoDelay, count, window, true) });
    }
    return variants;
  }).filter(({ name }) => name.startsWith(process.env.BENCH_WINDOW_ONLY ?? ''));
  const results = await interleave(variants, rounds, (round, figures) =>
    say(`  round ${round}: ${[...figures].map(([name, v]) => `${name} ${fmt(v)} (${fmt(cpuPerMessage.get(name)?.at(-1) ?? 0)} µs cpu/msg)`).join(' | ')}`),
  );
  printTable('Publish → confirm, msgs/s', 'msgs/s', results, variants[0]?.name);
  const cpu = new Map([...cpuPerMessage].map(([name, samples]) => [name, seriesStats(samples)]));
  printTable('Client CPU per message, µs (user + system; flat across windows = nothing grows with what is in flight)', 'µs/msg', cpu, variants[0]?.name, 1);
  const median = (name: string) => results.get(name)?.median ?? Number.NaN;
  const [small, large] = [windows[0], windows.at(-1)];
  say(`  sdk window ${large} / window ${small}: ${(median(`sdk defaults, window ${large}`) / median(`sdk defaults, window ${small}`)).toFixed(2)} (goal ≈ 1)`);
  const path = await writeResults('window', { count, windows, rounds, bodyBytes: benchConfig.bodyBytes }, { series: results, cpuMicrosPerMessage: cpu });
  say(`  results: ${path}`);
}
