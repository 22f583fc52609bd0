import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { benchConfig, publishWindowed } from './bench.config.js';
import { pathToFileURL } from 'node:url';
import { brokerPidOf, processCpuMicros } from './cpu.usage.js';
import { deleteQueues } from './sdk.bench.js';
import { nestRmqSide, sdkMicroservicesSide, sdkSide, type MessagingLib, type RpcSide } from './rpc-sides.bench.js';

const requests = Number(process.env.BENCH_RPC_REQUESTS ?? 5_000);
const concurrency = Number(process.env.BENCH_RPC_CONCURRENCY ?? 20);
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);

interface RoundResult {
  readonly p50: number;
  readonly p99: number;
  readonly perSecond: number;
  /** CPU time of this process (requester and responder together) per request, µs: less noisy than time on a shared machine. */
  readonly cpuPerRequest: number;
  /** CPU time of a local RabbitMQ (beam.smp) per request, µs, when one runs on this machine (NaN otherwise); shared, so noisier. */
  readonly brokerPerRequest: number;
}

/** CPU time of the RabbitMQ serving the bench's URL so far, µs; NaN when it does not run here or cannot be read. */
function brokerCpuMicros(): number {
  return processCpuMicros(brokerPidOf(benchConfig.url)) ?? Number.NaN;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Warms the side up, then times `requests` round trips with `concurrency` in flight. */
async function round(create: (queue: string) => Promise<RpcSide>, prefix: string): Promise<RoundResult> {
  const queue = `bench.rpc.${prefix}.${randomUUID().slice(0, 8)}`;
  const side = await create(queue);
  try {
    await publishWindowed(200, concurrency, (i) => side.request(i));
    const latencies: number[] = [];
    const cpu = process.cpuUsage();
    const broker = brokerCpuMicros();
    const started = performance.now();
    await publishWindowed(requests, concurrency, async (i) => {
      const t0 = performance.now();
      const product = await side.request(i);
      latencies.push(performance.now() - t0);
      if (product !== i * 2) throw new Error(`${prefix}: wrong reply ${product} for ${i}`);
    });
    const elapsed = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    const brokerUsed = brokerCpuMicros() - broker;
    latencies.sort((a, b) => a - b);
    return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), perSecond: requests / elapsed, cpuPerRequest: (used.user + used.system) / requests, brokerPerRequest: brokerUsed / requests };
  } finally {
    await side.close();
    // The request queue auto-deletes; the SDK's module also declares `<queue>.error`, which does not.
    await deleteQueues(benchConfig.url, [`${queue}.error`]);
  }
}

function summary(name: string, results: readonly RoundResult[]): string {
  const stat = (pick: (r: RoundResult) => number, digits: number) => {
    const values = results.map(pick).sort((a, b) => a - b);
    const median = values[Math.floor(values.length / 2)]!;
    return `${median.toFixed(digits)} [${values[0]!.toFixed(digits)}..${values.at(-1)!.toFixed(digits)}]`;
  };
  return `${name}: p50 ${stat((r) => r.p50, 2)} ms, p99 ${stat((r) => r.p99, 2)} ms, ${stat((r) => r.perSecond, 0)} req/s, cpu ${stat((r) => r.cpuPerRequest, 0)} µs/req, broker ${stat((r) => r.brokerPerRequest, 0)} µs/req   (median [min..max])`;
}

interface NamedSide {
  readonly name: string;
  readonly create: (queue: string) => Promise<RpcSide>;
}

/**
 * The sides to compare: this SDK (typed contract), Nest's RMQ transport, and Nest's microservices API on
 * this SDK's transport (MessagingClient/MessagingServer); with `BENCH_RPC_BASELINE=<path to another
 * build's dist/lib/index.js>` also that build of the SDK, for before/after figures in the same run.
 */
async function sides(url: string): Promise<NamedSide[]> {
  const list: NamedSide[] = [
    { name: 'sdk', create: (queue) => sdkSide(url, queue) },
    { name: 'nest rmq', create: (queue) => nestRmqSide(url, queue) },
    { name: 'sdk microservices', create: (queue) => sdkMicroservicesSide(url, queue) },
  ];
  const baseline = process.env.BENCH_RPC_BASELINE;
  if (baseline) {
    const lib = (await import(pathToFileURL(baseline).href)) as MessagingLib;
    list.push({ name: 'sdk base', create: (queue) => sdkSide(url, queue, lib) });
  }
  // BENCH_RPC_SIDES=sdk picks sides by name (e.g. to profile one alone with --cpu-prof).
  const only = process.env.BENCH_RPC_SIDES?.split(',').map((name) => name.trim());
  return only ? list.filter((side) => only.includes(side.name)) : list;
}

/**
 * RPC round trips on RabbitMQ for this SDK (typed contract, direct reply-to) and for Nest's own RMQ
 * client and server doing the same multiplication, in one run with the rounds interleaved (the order
 * rotating each round) so drift on the machine hits every side alike.
 */
async function main(): Promise<void> {
  const { url } = benchConfig;
  const list = await sides(url);
  process.stdout.write(`rpc bench: ${requests} requests per round, ${concurrency} in flight, ${rounds} rounds, interleaved\n`);
  const results = new Map<string, RoundResult[]>(list.map((side) => [side.name, []]));
  for (let r = 1; r <= rounds; r++) {
    // Rotate which goes first, so none always runs on a warmer (or busier) broker.
    const order = list.map((_, k) => list[(k + r) % list.length]!);
    for (const side of order) results.get(side.name)!.push(await round(side.create, side.name.replace(/\W/g, '')));
    const line = list.map((side) => {
      const last = results.get(side.name)!.at(-1)!;
      return `${side.name} p50 ${last.p50.toFixed(2)} p99 ${last.p99.toFixed(2)} ms ${last.perSecond.toFixed(0)} req/s cpu ${last.cpuPerRequest.toFixed(0)} µs broker ${last.brokerPerRequest.toFixed(0)} µs`;
    });
    process.stdout.write(`  round ${r}: ${line.join(' | ')}\n`);
  }
  const width = Math.max(...list.map((side) => side.name.length));
  for (const side of list) process.stdout.write(`${summary(side.name.padEnd(width), results.get(side.name)!)}\n`);
  // Nest's RMQ client keeps timers of its own for a while after close.
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stderr.write(`rpc bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
