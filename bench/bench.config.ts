/** Benchmark settings, overridable from the environment so CI-sized and longer runs share one script. */
export const benchConfig = {
  url: process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
  messages: Number(process.env.BENCH_MESSAGES ?? 20_000),
  /** Body size in bytes; the issue asks for 256-byte persistent messages. */
  bodyBytes: Number(process.env.BENCH_BODY_BYTES ?? 256),
  /** Publishes awaiting their confirm at once, the same window for both sides. */
  publishWindow: Number(process.env.BENCH_WINDOW ?? 500),
  rounds: Number(process.env.BENCH_ROUNDS ?? 3),
};

/** A JSON body of exactly `bytes` bytes, so both sides move the same payload. */
export function payloadOfSize(seq: number, bytes: number): { seq: number; pad: string } {
  const overhead = Buffer.byteLength(JSON.stringify({ seq, pad: '' }));
  return { seq, pad: 'x'.repeat(Math.max(0, bytes - overhead)) };
}

/** Runs `send(i)` for i in [0, count) with at most `window` promises pending. */
export async function publishWindowed(count: number, window: number, send: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      await send(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(window, count) }, worker));
}

/** A promise and its resolver, resolved when the consumer has acked everything. */
export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}
