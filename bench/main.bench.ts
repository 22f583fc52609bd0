import 'reflect-metadata';
import { e2eMode } from './e2e.bench.js';
import { latencyMode } from './latency.bench.js';
import { memoryMode } from './memory.bench.js';
import { soakMode } from './soak.bench.js';
import { windowMode } from './publish-window.bench.js';
import { say } from './bench.stats.js';

/** `npm run bench -- <mode>`: the modes and what each measures. */
const modes: Record<string, { readonly run: () => Promise<void>; readonly about: string }> = {
  e2e: { run: e2eMode, about: 'RabbitMQ publish→ack msgs/s: sdk defaults and best knobs vs raw amqplib (and the peers), default mode' },
  memory: { run: memoryMode, about: 'msgs/s through the Nest module on the memory transport, N=200k and N=2M' },
  latency: { run: latencyMode, about: 'RabbitMQ publish send→confirm p50/p99 at a fixed rate, sdk vs raw amqplib' },
  window: { run: windowMode, about: 'RabbitMQ publish→confirm msgs/s with 500 vs 20k sends in flight, sdk defaults vs raw amqplib' },
  soak: { run: soakMode, about: 'RSS/heap every 100k over 1M messages on the memory transport (--rabbit: RabbitMQ too)' },
  all: { run: async () => { await e2eMode(); await memoryMode(); await latencyMode(); await soakMode(); }, about: 'every mode in turn' },
};

async function main(): Promise<void> {
  const requested = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
  const names = requested.length > 0 ? requested : ['e2e'];
  for (const name of names) {
    const mode = modes[name];
    if (!mode) {
      say(`unknown mode "${name}"; modes: ${Object.entries(modes).map(([n, m]) => `\n  ${n.padEnd(8)} ${m.about}`).join('')}`);
      process.exitCode = 2;
      return;
    }
    await mode.run();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
