import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AMQP_URL, describeWithBroker } from '../../support/broker.js';

// Checks that the RabbitMQ bench modes run and write their JSON, at a tiny size and without the peers
// (separate processes, seconds each); timings are never asserted.
describeWithBroker('bench smoke: e2e and latency modes', () => {
  let dir: string;
  const saved = { ...process.env };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bench-smoke-'));
    Object.assign(process.env, {
      AMQP_URL,
      BENCH_RESULTS_DIR: dir,
      BENCH_QUIET: '1',
      BENCH_ROUNDS: '1',
      BENCH_MESSAGES: '200',
      BENCH_PEERS: '0',
      BENCH_LATENCY_MESSAGES: '100',
    });
  });

  afterAll(async () => {
    process.env = saved;
    await rm(dir, { recursive: true, force: true });
  });

  it('writes e2e and latency results', async () => {
    const { e2eMode } = await import('../../../bench/e2e.bench.js');
    const { latencyMode } = await import('../../../bench/latency.bench.js');
    await e2eMode();
    await latencyMode();
    const files = (await readdir(dir)).sort();
    expect(files.map((file) => file.split('-')[0])).toEqual(['e2e', 'latency']);
    const e2e = JSON.parse(await readFile(join(dir, files[0]!), 'utf8')) as {
      results: { series: Record<string, { median: number }>; cpu: { clientMicrosPerMessage: Record<string, { median: number }> } };
    };
    expect(Object.keys(e2e.results.series)).toEqual([
      'raw amqplib, ack each, prefetch 100',
      'raw amqplib, multi-ack/100, prefetch 1000',
      'raw amqplib + sdk properties, ack each, prefetch 100',
      'sdk, defaults',
      'sdk, best knobs',
      'sdk, defaults + guard and global interceptor',
    ]);
    for (const series of Object.values(e2e.results.series)) expect(series.median).toBeGreaterThan(0);
    // Every variant reports the client CPU it spent per message.
    expect(Object.keys(e2e.results.cpu.clientMicrosPerMessage)).toEqual(Object.keys(e2e.results.series));
    for (const series of Object.values(e2e.results.cpu.clientMicrosPerMessage)) expect(series.median).toBeGreaterThan(0);
    const latency = JSON.parse(await readFile(join(dir, files[1]!), 'utf8')) as { results: { series: Record<string, unknown> } };
    expect(Object.keys(latency.results.series)).toEqual([
      'raw amqplib, Nagle on',
      'raw amqplib + sdk properties, Nagle on',
      'sdk, Nagle on',
      'raw amqplib, TCP_NODELAY',
      'raw amqplib + sdk properties, TCP_NODELAY',
      'sdk, TCP_NODELAY',
    ]);
  }, 30_000);
});
