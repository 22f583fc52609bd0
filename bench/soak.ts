import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import amqplib from 'amqplib';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { z } from 'zod';
import { AmqpTransport, Consumer, defineContract, MessagingModule, Producer, type TypedProducer } from '../lib/index.js';

/**
 * Soak: a large number of messages (1M by default) through RabbitMQ with the Nest module, the transport's
 * connection killed from the broker side at regular intervals. Every 100k messages it samples RSS, heap
 * (after a forced GC when run with --expose-gc), unconfirmed and buffered publishes; at the end it asserts
 * that memory stayed flat after warm-up (heap: every sample within ±10% of the first; RSS, which swings
 * with the allocator: no trend beyond ±10% between the medians of the two halves) and that every
 * confirmed message was consumed.
 * Exit code 1 on any failure. Not part of CI: `npm run soak` (SOAK_MESSAGES, SOAK_KILL_EVERY, AMQP_URL).
 */
const config = {
  url: process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
  /** `rabbitmqctl -n` target, when AMQP_URL is not the machine's default node. */
  node: process.env.AMQP_NODE,
  messages: Number(process.env.SOAK_MESSAGES ?? 1_000_000),
  sampleEvery: Number(process.env.SOAK_SAMPLE_EVERY ?? 100_000),
  killEvery: Number(process.env.SOAK_KILL_EVERY ?? 50_000),
  window: Number(process.env.SOAK_WINDOW ?? 500),
  /** Samples before this many messages are warm-up and not held to the flatness bound. */
  warmup: Number(process.env.SOAK_WARMUP ?? 200_000),
  tolerance: Number(process.env.SOAK_TOLERANCE ?? 0.1),
};

const SoakMessage = defineContract({ name: 'soak.message', exchange: '', schema: z.object({ seq: z.number().int() }) });
const execFileAsync = promisify(execFile);

interface Sample {
  readonly at: number;
  readonly rssMb: number;
  readonly heapMb: number;
  /** Buffers and other memory outside the JS heap. */
  readonly externalMb: number;
  readonly unconfirmed: number;
  readonly buffered: number;
  readonly consumed: number;
  readonly kills: number;
}

function write(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Closes this run's connection from the broker side (only it: the broker may be shared). */
async function killConnection(connectionName: string): Promise<number> {
  const node = config.node ? ['-n', config.node] : [];
  const { stdout } = await execFileAsync('rabbitmqctl', [...node, '-q', 'list_connections', 'pid', 'client_properties', '--no-table-headers']);
  const marker = `{"connection_name",${JSON.stringify(connectionName)}}`;
  const pids = stdout.split('\n').filter((line) => line.includes(marker)).map((line) => line.split('\t')[0]!);
  await Promise.all(pids.map((pid) => execFileAsync('rabbitmqctl', [...node, '-q', 'close_connection', pid, 'soak: periodic kill'])));
  return pids.length;
}

function sample(at: number, transport: AmqpTransport, consumed: number, kills: number): Sample {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const memory = process.memoryUsage();
  const stats = transport.stats();
  return {
    at,
    rssMb: memory.rss / 2 ** 20,
    heapMb: memory.heapUsed / 2 ** 20,
    externalMb: (memory.external + memory.arrayBuffers) / 2 ** 20,
    unconfirmed: stats.unconfirmedPublishes,
    buffered: stats.bufferedPublishes,
    consumed,
    kills,
  };
}

async function main(): Promise<void> {
  const { messages, window } = config;
  const queue = `soak.${randomUUID().slice(0, 8)}`;
  const connectionName = `soak-${randomUUID().slice(0, 8)}`;
  const seen = new Uint8Array(messages);
  let consumed = 0;
  let duplicates = 0;

  @Injectable()
  class SoakConsumer {
    @Consumer(SoakMessage, { queue, prefetch: 200 })
    handle(payload: { seq: number }): void {
      if (seen[payload.seq]) duplicates++;
      else consumed++;
      seen[payload.seq] = 1;
    }
  }
  @Injectable()
  class SoakProducer {
    constructor(@Producer(SoakMessage) readonly producer: TypedProducer<typeof SoakMessage>) {}
  }
  const transport = new AmqpTransport({ urls: config.url, connectionName, heartbeatSeconds: 5, reconnectDelayMs: 200 });
  @Module({
    imports: [
      MessagingModule.forRoot({ transport, topology: { queues: [{ name: queue, durable: true }] } }),
      MessagingModule.forFeature([SoakMessage]),
    ],
    providers: [SoakConsumer, SoakProducer],
  })
  class SoakModule {}

  const app = await NestFactory.createApplicationContext(SoakModule, { logger: ['error'] });
  const { producer } = app.get(SoakProducer);
  write(`soak: ${messages} messages, window ${window}, broker-side kill every ${config.killEvery}, sample every ${config.sampleEvery}, gc ${typeof (globalThis as { gc?: unknown }).gc === 'function' ? 'forced' : 'not exposed'}`);
  const started = Date.now();
  const samples: Sample[] = [];
  let kills = 0;
  let retries = 0;
  let published = 0;
  let next = 0;
  let nextKill = config.killEvery;
  let nextSample = config.sampleEvery;
  const kill = (): void => {
    void killConnection(connectionName).then((n) => (kills += n > 0 ? 1 : 0), () => undefined);
  };
  const worker = async (): Promise<void> => {
    while (next < messages) {
      const seq = next++;
      // A send that failed was never confirmed: send it again until it is, so every message counts.
      for (;;) {
        try {
          await producer.send({ seq }, { routingKey: queue });
          break;
        } catch {
          retries++;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
      published++;
      if (published >= nextKill) {
        nextKill += config.killEvery;
        kill();
      }
      if (published >= nextSample) {
        const s = sample(nextSample, transport, consumed, kills);
        nextSample += config.sampleEvery;
        samples.push(s);
        write(
          `  ${String(s.at).padStart(8)}: rss ${s.rssMb.toFixed(1)} MB, heap ${s.heapMb.toFixed(1)} MB, external ${s.externalMb.toFixed(1)} MB, unconfirmed ${s.unconfirmed}, ` +
            `buffered ${s.buffered}, consumed ${s.consumed}, kills ${s.kills}, ${((Date.now() - started) / 1000).toFixed(0)} s`,
        );
      }
    }
  };
  await Promise.all(Array.from({ length: window }, worker));
  const deadline = Date.now() + 120_000;
  while (consumed < messages && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
  const elapsed = (Date.now() - started) / 1000;
  await app.close();
  await deleteQueue(queue);

  const failures: string[] = [];
  const lost = messages - consumed;
  if (lost !== 0) failures.push(`${lost} confirmed message(s) never consumed`);
  const steady = samples.filter((s) => s.at > config.warmup);
  const notes: string[] = [];
  if (steady.length >= 4) {
    // The JS heap (after a forced GC) is the leak signal: every sample within the tolerance of the first.
    const baseline = steady[0]!.heapMb;
    for (const s of steady) {
      const drift = (s.heapMb - baseline) / baseline;
      if (Math.abs(drift) > config.tolerance) {
        failures.push(`heap at ${s.at}: ${s.heapMb.toFixed(1)} MB vs ${baseline.toFixed(1)} MB after warm-up (${(drift * 100).toFixed(1)}%)`);
      }
    }
    // RSS swings with the allocator from one sample to the next (freed memory is not always returned to
    // the OS); a leak shows as a trend, so the later half's median is held to the earlier half's.
    const half = Math.floor(steady.length / 2);
    const early = median(steady.slice(0, half).map((s) => s.rssMb));
    const late = median(steady.slice(half).map((s) => s.rssMb));
    const trend = (late - early) / early;
    if (Math.abs(trend) > config.tolerance) failures.push(`rss trend: median ${late.toFixed(1)} MB vs ${early.toFixed(1)} MB (${(trend * 100).toFixed(1)}%)`);
    notes.push(`rss median ${early.toFixed(1)} -> ${late.toFixed(1)} MB (${(trend * 100).toFixed(1)}%)`);
    for (const s of steady) {
      const drift = (s.rssMb - steady[0]!.rssMb) / steady[0]!.rssMb;
      if (Math.abs(drift) > config.tolerance) notes.push(`rss at ${s.at} is ${(drift * 100).toFixed(1)}% off the first steady sample`);
    }
    if (steady.some((s) => s.unconfirmed + s.buffered > window)) failures.push('unconfirmed + buffered exceeded the publish window');
  } else {
    failures.push('too few samples after warm-up to judge flatness');
  }
  if (notes.length > 0) write(`notes:\n  ${notes.join('\n  ')}`);
  write(
    `soak done in ${elapsed.toFixed(0)} s (${(messages / elapsed).toFixed(0)} msg/s): consumed ${consumed}/${messages}, lost ${lost}, ` +
      `duplicates ${duplicates}, failed sends re-sent ${retries}, connection kills ${kills}`,
  );
  if (failures.length > 0) {
    write(`SOAK FAILED:\n  ${failures.join('\n  ')}`);
    process.exitCode = 1;
  } else {
    write(`SOAK PASSED: heap flat and no RSS trend beyond ±${config.tolerance * 100}% after ${config.warmup} messages, zero loss`);
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

async function deleteQueue(queue: string): Promise<void> {
  const connection = await amqplib.connect(config.url);
  try {
    const channel = await connection.createChannel();
    await channel.deleteQueue(queue);
  } finally {
    await connection.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`soak crashed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
