import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { benchConfig } from './bench.config.js';
import { runRawAmqplib } from './raw-amqplib.bench.js';
import { runSdk } from './sdk.bench.js';

/**
 * End-to-end throughput, publish with confirms -> consume with ack, for this SDK and for raw amqplib in
 * the same run against the same broker. Rounds alternate the two so drift on the machine hits both.
 */
async function main(): Promise<void> {
  const { messages, bodyBytes, publishWindow, prefetch, rounds } = benchConfig;
  process.stdout.write(
    `e2e bench: ${messages} persistent ${bodyBytes}-byte messages, confirm window ${publishWindow}, prefetch ${prefetch}, ${rounds} rounds\n`,
  );
  const raw: number[] = [];
  const sdk: number[] = [];
  for (let round = 1; round <= rounds; round++) {
    raw.push(await runRawAmqplib(`bench.raw.${randomUUID().slice(0, 8)}`));
    sdk.push(await runSdk(`bench.sdk.${randomUUID().slice(0, 8)}`));
    process.stdout.write(`  round ${round}: raw amqplib ${raw.at(-1)!.toFixed(0)} msg/s, sdk ${sdk.at(-1)!.toFixed(0)} msg/s\n`);
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const rawMedian = median(raw);
  const sdkMedian = median(sdk);
  process.stdout.write(
    [
      `raw amqplib : ${rawMedian.toFixed(0)} msg/s (median)`,
      `sdk         : ${sdkMedian.toFixed(0)} msg/s (median)`,
      `ratio       : ${(sdkMedian / rawMedian).toFixed(2)} (sdk / raw)`,
      '',
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
