import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { seriesStats, type SeriesStats } from './bench.stats.js';

/** CPU time spent over one measured window, in microseconds; the broker's is undefined when unknown. */
export interface CpuFigures {
  readonly clientMicros: number;
  readonly brokerMicros: number | undefined;
}

/** A started measurement of this process's and the broker's CPU time. */
export interface CpuWindow {
  stop(): CpuFigures;
}

/**
 * The pid of the RabbitMQ node serving `url` when it runs on this machine, else undefined (its CPU is
 * then reported as n/a). The listener of the URL's port, as `ss -ltnp` names it, is the node; without
 * `ss`, the only `beam.smp` process, if there is exactly one.
 */
export function localBrokerPid(url: string): number | undefined {
  const { hostname, port } = new URL(url);
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(hostname)) return undefined;
  const wanted = port || '5672';
  try {
    const listeners = execFileSync('ss', ['-Hltnp', `sport = :${wanted}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const pids = new Set([...listeners.matchAll(/"beam\.smp",pid=(\d+)/g)].map((match) => Number(match[1])));
    if (pids.size === 1) return [...pids][0];
  } catch {
    // No ss: fall back to the process list.
  }
  try {
    const pids = execFileSync('pgrep', ['-x', 'beam.smp'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n').filter(Boolean);
    return pids.length === 1 ? Number(pids[0]) : undefined;
  } catch {
    return undefined;
  }
}

let clockTicks: number | undefined;
const brokerPids = new Map<string, number | undefined>();

/** {@link localBrokerPid}, looked up once per URL and process. */
export function brokerPidOf(url: string): number | undefined {
  if (!brokerPids.has(url)) brokerPids.set(url, localBrokerPid(url));
  return brokerPids.get(url);
}

/** One e2e run: its rate and the CPU time spent from first publish to last ack. */
export interface E2eFigures {
  readonly msgsPerSec: number;
  readonly cpu: CpuFigures;
}

/** utime + stime of `pid` in microseconds, from /proc; undefined when it cannot be read. */
export function processCpuMicros(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces: utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / clockTicks;
  } catch {
    return undefined;
  }
}

/** Starts measuring this process's CPU time and, when `brokerPid` is known, the broker's. */
export function startCpuWindow(brokerPid: number | undefined): CpuWindow {
  const client = process.cpuUsage();
  const broker = processCpuMicros(brokerPid);
  return {
    stop: () => {
      const used = process.cpuUsage(client);
      const brokerNow = processCpuMicros(brokerPid);
      return { clientMicros: used.user + used.system, brokerMicros: broker === undefined || brokerNow === undefined ? undefined : brokerNow - broker };
    },
  };
}

/** Per-message CPU of every run of every variant: this process, the broker, and the cores they kept busy. */
export class CpuTally {
  private readonly client = new Map<string, number[]>();
  private readonly broker = new Map<string, number[]>();
  private readonly busy = new Map<string, number[]>();

  constructor(private readonly messages: number) {}

  /** Wraps a variant's run so that it records the run's CPU and returns its msgs/s, as `interleave` wants. */
  measure(name: string, run: () => Promise<E2eFigures>): () => Promise<number> {
    return async () => {
      const { msgsPerSec, cpu } = await run();
      const push = (series: Map<string, number[]>, value: number) => series.set(name, [...(series.get(name) ?? []), value]);
      const clientPerMessage = cpu.clientMicros / this.messages;
      push(this.client, clientPerMessage);
      const brokerPerMessage = cpu.brokerMicros === undefined ? Number.NaN : cpu.brokerMicros / this.messages;
      push(this.broker, brokerPerMessage);
      // Both sides' CPU over the wall time they had: cores kept busy, out of os.availableParallelism().
      push(this.busy, ((clientPerMessage + brokerPerMessage) * msgsPerSec) / 1e6);
      return msgsPerSec;
    };
  }

  /** µs/msg of the client and of the broker, and the cores both kept busy, as series per variant. */
  series(): { clientMicrosPerMessage: Map<string, SeriesStats>; brokerMicrosPerMessage: Map<string, SeriesStats>; busyCores: Map<string, SeriesStats> } {
    const stats = (series: Map<string, number[]>) => new Map([...series].map(([name, values]) => [name, seriesStats(values)]));
    return { clientMicrosPerMessage: stats(this.client), brokerMicrosPerMessage: stats(this.broker), busyCores: stats(this.busy) };
  }
}
