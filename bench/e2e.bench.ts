import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { benchConfig } from './bench.config.js';
import { fmt, interleave, printTable, say, writeResults, type Variant } from './bench.stats.js';
import { CpuTally } from './cpu.usage.js';
import { PEERS, peersInstalled, runPeer } from './peer.runner.js';
import { runRawAmqplib } from './raw-amqplib.bench.js';
import { runSdk } from './sdk.bench.js';

const RAW = 'raw amqplib, ack each, prefetch 100';
const RAW_TUNED = 'raw amqplib, multi-ack/100, prefetch 1000';
const RAW_PROPS = 'raw amqplib + sdk properties, ack each, prefetch 100';
const SDK_DEFAULTS = 'sdk, defaults';
const SDK_TUNED = 'sdk, best knobs';
const SDK_ENHANCED = 'sdk, defaults + guard and global interceptor';
const GOLEVELUP = 'golevelup nestjs-rabbitmq 9';
const GOLEVELUP_DEFAULTS = 'golevelup nestjs-rabbitmq 9, its defaults';

/**
 * `e2e` mode: publish with confirms → consume with ack, persistent 256-byte JSON messages, first publish
 * to last ack, on one broker in one run. The SDK with its defaults and with its best knobs, raw amqplib
 * acking each message (prefetch 100) and with multi-ack (prefetch 1000, the client-side ceiling), and
 * the peers when `bench/peers` is installed. Rounds rotate the order so drift hits every variant alike.
 */
export async function e2eMode(): Promise<void> {
  const { messages, bodyBytes, publishWindow, rounds } = benchConfig;
  const tunedPrefetch = Number(process.env.BENCH_SDK_TUNED_PREFETCH ?? 1000);
  const peerPrefetch = Number(process.env.BENCH_PEER_PREFETCH ?? 100);
  const name = (kind: string) => `bench.${kind}.${randomUUID().slice(0, 8)}`;
  // Every variant also reports the CPU it and the broker spent from first publish to last ack.
  const cpu = new CpuTally(messages);
  const variants: Variant[] = [
    { name: RAW, run: cpu.measure(RAW, () => runRawAmqplib(name('raw'), { prefetch: 100, ackEvery: 1 })) },
    { name: RAW_TUNED, run: cpu.measure(RAW_TUNED, () => runRawAmqplib(name('raw'), { prefetch: 1000, ackEvery: 100 })) },
    { name: RAW_PROPS, run: cpu.measure(RAW_PROPS, () => runRawAmqplib(name('raw'), { prefetch: 100, ackEvery: 1, sdkProperties: true })) },
    { name: SDK_DEFAULTS, run: cpu.measure(SDK_DEFAULTS, () => runSdk(name('sdk'))) },
    { name: SDK_TUNED, run: cpu.measure(SDK_TUNED, () => runSdk(name('sdk'), tunedPrefetch)) },
    // The issue's "enhancers on": every message through Nest's guard and interceptor pipeline.
    { name: SDK_ENHANCED, run: cpu.measure(SDK_ENHANCED, () => runSdk(name('sdk'), undefined, undefined, undefined, true)) },
  ];
  // Exploration: BENCH_SDK_VARIANTS=p200,p200c20,p200s,p200n adds the SDK at prefetch 200, with concurrency 20,
  // with one shared connection (s), without ack coalescing (n); other settings stay the defaults.
  for (const spec of (process.env.BENCH_SDK_VARIANTS ?? '').split(',').filter(Boolean)) {
    const match = /^p(\d+)(?:c(\d+))?(s?)(n?)$/.exec(spec);
    if (!match) throw new Error(`BENCH_SDK_VARIANTS: cannot read "${spec}"`);
    const [, prefetch, concurrency, shared, noCoalescing] = match;
    const consumer = { connection: shared ? ('shared' as const) : ('separate' as const), coalesceAcks: !noCoalescing };
    const label = `sdk, prefetch ${prefetch}${concurrency ? ` concurrency ${concurrency}` : ''}${shared ? ', shared conn' : ''}${noCoalescing ? ', ack each' : ''}`;
    variants.push({ name: label, run: cpu.measure(label, () => runSdk(name('sdk'), Number(prefetch), consumer, concurrency ? Number(concurrency) : undefined)) });
  }
  const withPeers = peersInstalled() && !process.argv.includes('--no-peers') && process.env.BENCH_PEERS !== '0';
  if (withPeers) {
    for (const peer of PEERS) {
      const prefetch = 'prefetch' in peer ? peer.prefetch : peerPrefetch;
      variants.push({ name: peer.name, run: cpu.measure(peer.name, () => runPeer(peer.file, name('peer'), prefetch)) });
    }
  }
  say(
    `e2e bench: ${fmt(messages)} persistent ${bodyBytes}-byte messages, confirm window ${publishWindow}, ${rounds} rounds; ` +
      `sdk best knobs = prefetch ${tunedPrefetch}; peers ${withPeers ? `at prefetch ${peerPrefetch}` : 'not installed (npm --prefix bench/peers ci) or --no-peers'}`,
  );
  const results = await interleave(variants, rounds, (round, figures) =>
    say(`  round ${round}: ${[...figures].map(([variant, v]) => `${variant} ${fmt(v)}`).join(' | ')}`),
  );
  printTable('End to end, msgs/s (first publish → last ack)', 'msgs/s', results, RAW);
  const cpuSeries = cpu.series();
  printTable('Client CPU, µs/msg (this process, or the peer\'s own; first publish → last ack)', 'µs/msg', cpuSeries.clientMicrosPerMessage, RAW, 1);
  printTable('Broker CPU, µs/msg (beam.smp utime+stime; n/a when the broker is not local)', 'µs/msg', cpuSeries.brokerMicrosPerMessage, RAW, 1);
  printTable(`Cores busy, client + broker (of ${availableParallelism()} on this machine)`, 'cores', cpuSeries.busyCores, undefined, 2);
  const median = (variant: string) => results.get(variant)?.median ?? Number.NaN;
  const ratios = {
    defaultsVsRaw: median(SDK_DEFAULTS) / median(RAW),
    defaultsVsGolevelup: median(SDK_DEFAULTS) / median(GOLEVELUP),
    defaultsVsGolevelupDefaults: median(SDK_DEFAULTS) / median(GOLEVELUP_DEFAULTS),
    tunedVsRawTuned: median(SDK_TUNED) / median(RAW_TUNED),
    defaultsVsRawWithProperties: median(SDK_DEFAULTS) / median(RAW_PROPS),
    enhancedVsRaw: median(SDK_ENHANCED) / median(RAW),
  };
  say(`  sdk defaults / raw (ack each, prefetch 100)      ${ratios.defaultsVsRaw.toFixed(2)}  (goal ≥ 1.0)`);
  say(`  sdk defaults / golevelup at its defaults       ${withPeers ? ratios.defaultsVsGolevelupDefaults.toFixed(2) : 'n/a '}  (goal ≥ 1.5, defaults against defaults)`);
  say(`  sdk defaults / golevelup at prefetch ${String(peerPrefetch).padEnd(10)} ${withPeers ? ratios.defaultsVsGolevelup.toFixed(2) : 'n/a '}  (golevelup tuned like the raw baseline)`);
  say(`  sdk best knobs / raw (multi-ack, prefetch 1000) ${ratios.tunedVsRawTuned.toFixed(2)}  (goal ≥ 1.0)`);
  say(`  sdk defaults / raw sending the same properties  ${ratios.defaultsVsRawWithProperties.toFixed(2)}  (like for like)`);
  say(`  sdk with a guard and an interceptor / raw      ${ratios.enhancedVsRaw.toFixed(2)}  (enhancers on every message)`);
  const path = await writeResults('e2e', { ...benchConfig, url: undefined, tunedPrefetch, peerPrefetch, peers: withPeers }, { series: results, ratios, cpu: cpuSeries });
  say(`  results: ${path}`);
}
