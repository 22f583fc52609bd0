// Settings and reporting shared by the peer runners. The e2e bench starts each runner as a child
// process (so Nest 11 and Nest 12 never share a process) and reads the one JSON line it prints.
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

/** Prints the result line the e2e bench parses, then exits (some clients keep timers alive). */
export function report(msgsPerSec) {
  process.stdout.write(`${JSON.stringify({ msgsPerSec })}\n`);
  process.exit(0);
}

export function fail(error) {
  process.stderr.write(`peer failed: ${error?.stack ?? String(error)}\n`);
  process.exit(1);
}
