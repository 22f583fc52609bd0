import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { benchConfig, publishWindowed } from './bench.config.js';
import { nestRmqSide, sdkSide, type RpcSide } from './rpc-sides.bench.js';

const requests = Number(process.env.BENCH_RPC_REQUESTS ?? 5_000);
const concurrency = Number(process.env.BENCH_RPC_CONCURRENCY ?? 20);
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);

interface RoundResult {
  readonly p50: number;
  readonly p99: number;
  readonly perSecond: number;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Warms the side up, then times `requests` round trips with `concurrency` in flight. */
async function round(create: (queue: string) => Promise<RpcSide>, prefix: string): Promise<RoundResult> {
  const side = await create(`bench.rpc.${prefix}.${randomUUID().slice(0, 8)}`);
  try {
    await publishWindowed(200, concurrency, (i) => side.request(i));
    const latencies: number[] = [];
    const started = performance.now();
    await publishWindowed(requests, concurrency, async (i) => {
      const t0 = performance.now();
      const product = await side.request(i);
      latencies.push(performance.now() - t0);
      if (product !== i * 2) throw new Error(`${prefix}: wrong reply ${product} for ${i}`);
    });
    const elapsed = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), perSecond: requests / elapsed };
  } finally {
    await side.close();
  }
}

function summary(name: string, results: readonly RoundResult[]): string {
  const stat = (pick: (r: RoundResult) => number, digits: number) => {
    const values = results.map(pick).sort((a, b) => a - b);
    const median = values[Math.floor(values.length / 2)]!;
    return `${median.toFixed(digits)} [${values[0]!.toFixed(digits)}..${values.at(-1)!.toFixed(digits)}]`;
  };
  return `${name}: p50 ${stat((r) => r.p50, 2)} ms, p99 ${stat((r) => r.p99, 2)} ms, ${stat((r) => r.perSecond, 0)} req/s   (median [min..max])`;
}

/**
 * RPC round trips on RabbitMQ for this SDK (typed contract, direct reply-to) and for Nest's own RMQ
 * client and server doing the same multiplication, in one run with the rounds interleaved so drift on
 * the machine hits both alike.
 */
async function main(): Promise<void> {
  const { url } = benchConfig;
  process.stdout.write(`rpc bench: ${requests} requests per round, ${concurrency} in flight, ${rounds} rounds, interleaved\n`);
  const sdk: RoundResult[] = [];
  const nest: RoundResult[] = [];
  for (let r = 1; r <= rounds; r++) {
    // Alternate which goes first, so neither always runs on a warmer broker.
    const order = r % 2 === 1 ? (['sdk', 'nest'] as const) : (['nest', 'sdk'] as const);
    for (const which of order) {
      if (which === 'sdk') sdk.push(await round((queue) => sdkSide(url, queue), 'sdk'));
      else nest.push(await round((queue) => nestRmqSide(url, queue), 'nest'));
    }
    const s = sdk.at(-1)!;
    const n = nest.at(-1)!;
    process.stdout.write(
      `  round ${r}: sdk p50 ${s.p50.toFixed(2)} p99 ${s.p99.toFixed(2)} ms ${s.perSecond.toFixed(0)} req/s | nest rmq p50 ${n.p50.toFixed(2)} p99 ${n.p99.toFixed(2)} ms ${n.perSecond.toFixed(0)} req/s\n`,
    );
  }
  process.stdout.write(`${summary('sdk     ', sdk)}\n${summary('nest rmq', nest)}\n`);
  // Nest's RMQ client keeps timers of its own for a while after close.
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stderr.write(`rpc bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
