import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { benchConfig } from './bench.config.js';
import { benchSourceDir } from './bench.stats.js';
import { brokerPidOf, type E2eFigures } from './cpu.usage.js';

const execFileAsync = promisify(execFile);

/** The other clients the e2e mode compares with; each is `bench/peers/<file>`. */
export const PEERS = [
  { name: 'amqp-connection-manager', file: 'acm.peer.mjs' },
  { name: 'golevelup nestjs-rabbitmq 9', file: 'golevelup.peer.mjs' },
  // As a user who sets nothing gets it: golevelup's own default prefetch (10), the SDK defaults' peer.
  { name: 'golevelup nestjs-rabbitmq 9, its defaults', file: 'golevelup.peer.mjs', prefetch: 'default' },
  { name: "Nest's RMQ transport (manual ack)", file: 'nest-rmq.peer.mjs' },
] as const;

/** Whether `npm --prefix bench/peers ci` has been run; without it the peer slots are reported as absent. */
export function peersInstalled(): boolean {
  return existsSync(join(benchSourceDir(), 'peers', 'node_modules', '@golevelup', 'nestjs-rabbitmq'));
}

/**
 * Runs one peer in a child process (the peers need Nest 11, the SDK Nest 12; separate processes keep the
 * two apart and give each a fresh heap, as the in-process runs get from their own app) on `queue`, with
 * the same message count, size, confirm window and prefetch as the raw baseline; returns its msgs/s and
 * the CPU time it and the broker spent, which the child measures over its own timed window.
 */
export async function runPeer(file: string, queue: string, prefetch: number | 'default'): Promise<E2eFigures> {
  const { url, messages, bodyBytes, publishWindow } = benchConfig;
  const brokerPid = brokerPidOf(url);
  const { stdout } = await execFileAsync(process.execPath, [join(benchSourceDir(), 'peers', file)], {
    env: {
      ...process.env,
      AMQP_URL: url,
      BENCH_QUEUE: queue,
      BENCH_MESSAGES: String(messages),
      BENCH_BODY_BYTES: String(bodyBytes),
      BENCH_WINDOW: String(publishWindow),
      BENCH_PREFETCH: String(prefetch),
      BENCH_BROKER_PID: brokerPid === undefined ? '' : String(brokerPid),
    },
    timeout: 600_000,
    maxBuffer: 1 << 20,
  });
  const line = stdout.trim().split('\n').at(-1) ?? '';
  const parsed = JSON.parse(line) as { msgsPerSec?: unknown; clientCpuMicros?: unknown; brokerCpuMicros?: unknown };
  if (typeof parsed.msgsPerSec !== 'number') throw new Error(`peer ${file} printed no result: ${line}`);
  const clientMicros = typeof parsed.clientCpuMicros === 'number' ? parsed.clientCpuMicros : Number.NaN;
  const brokerMicros = typeof parsed.brokerCpuMicros === 'number' ? parsed.brokerCpuMicros : undefined;
  return { msgsPerSec: parsed.msgsPerSec, cpu: { clientMicros, brokerMicros } };
}
