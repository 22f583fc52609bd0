// Settings and reporting shared by the peer runners. The e2e bench starts each runner as a child
// process (so Nest 11 and Nest 12 never share a process) and reads the one JSON line it prints.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import amqplib from 'amqplib';

export const settings = {
  url: process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
  queue: process.env.BENCH_QUEUE ?? `bench.peer.${process.pid}`,
  messages: Number(process.env.BENCH_MESSAGES ?? 20_000),
  bodyBytes: Number(process.env.BENCH_BODY_BYTES ?? 256),
  window: Number(process.env.BENCH_WINDOW ?? 500),
  // 'default' leaves the client's own default prefetch in place (a user who sets nothing).
  prefetch: process.env.BENCH_PREFETCH === 'default' ? undefined : Number(process.env.BENCH_PREFETCH ?? 100),
};

/** A JSON-able payload whose encoding is `bytes` long, as the SDK bench sends. */
export function payloadOfSize(seq, bytes) {
  const overhead = Buffer.byteLength(JSON.stringify({ seq, pad: '' }));
  return { seq, pad: 'x'.repeat(Math.max(0, bytes - overhead)) };
}

/** Runs `send(i)` for every i with at most `window` sends pending. */
export async function publishWindowed(count, window, send) {
  let next = 0;
  const worker = async () => {
    while (next < count) await send(next++);
  };
  await Promise.all(Array.from({ length: Math.min(window, count) }, worker));
}

export function deferred() {
  let resolve;
  const promise = new Promise((r) => (resolve = r));
  return { promise, resolve };
}

/** Declares the durable queue up front and deletes it afterwards, with a connection of its own. */
export async function withQueue(body) {
  const connection = await amqplib.connect(settings.url);
  try {
    const channel = await connection.createChannel();
    await channel.assertQueue(settings.queue, { durable: true });
    await channel.purgeQueue(settings.queue);
    const result = await body();
    await channel.deleteQueue(settings.queue);
    return result;
  } finally {
    await connection.close();
  }
}

/** utime + stime of the broker the runner named (BENCH_BROKER_PID) in microseconds, or undefined. */
function brokerCpuMicros() {
  const pid = process.env.BENCH_BROKER_PID;
  if (!pid) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / ticks;
  } catch {
    return undefined;
  }
}

/**
 * Starts the timed window (first publish to last ack): `stop()` gives the rate and the CPU time this
 * process and the broker spent in it, the figures `report` prints.
 */
export function startWindow() {
  const started = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  const broker = brokerCpuMicros();
  return {
    stop() {
      const msgsPerSec = settings.messages / (Number(process.hrtime.bigint() - started) / 1e9);
      const used = process.cpuUsage(cpu);
      const brokerNow = brokerCpuMicros();
      return { msgsPerSec, clientCpuMicros: used.user + used.system, brokerCpuMicros: broker === undefined || brokerNow === undefined ? undefined : brokerNow - broker };
    },
  };
}

/** Prints the result line the e2e bench parses (the figures of `startWindow().stop()`), then exits (some clients keep timers alive). */
export function report(figures) {
  process.stdout.write(`${JSON.stringify(figures)}\n`);
  process.exit(0);
}

export function fail(error) {
  process.stderr.write(`peer failed: ${error?.stack ?? String(error)}\n`);
  process.exit(1);
}
