import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Checks that the broker-free bench modes run end to end and write their JSON; timings are never asserted.
describe('bench smoke: memory and soak modes', () => {
  let dir: string;
  const saved = { ...process.env };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bench-smoke-'));
    Object.assign(process.env, {
      BENCH_RESULTS_DIR: dir,
      BENCH_QUIET: '1',
      BENCH_ROUNDS: '1',
      BENCH_MEMORY_SMALL: '300',
      BENCH_MEMORY_LARGE: '600',
      BENCH_SOAK_MESSAGES: '400',
      BENCH_SOAK_EVERY: '100',
      BENCH_SOAK_WARMUP: '100',
    });
  });

  afterAll(async () => {
    process.env = saved;
    await rm(dir, { recursive: true, force: true });
  });

  it('writes memory and soak results', async () => {
    const { memoryMode } = await import('../../../bench/memory.bench.js');
    const { soakMode } = await import('../../../bench/soak.bench.js');
    await memoryMode();
    await soakMode();
    const files = (await readdir(dir)).sort();
    expect(files.map((file) => file.split('-')[0])).toEqual(['memory', 'soak']);
    const memory = JSON.parse(await readFile(join(dir, files[0]!), 'utf8')) as { results: { series: Record<string, { median: number }> } };
    for (const series of Object.values(memory.results.series)) expect(series.median).toBeGreaterThan(0);
    const soak = JSON.parse(await readFile(join(dir, files[1]!), 'utf8')) as { results: { memory: { samples: unknown[] } } };
    expect(soak.results.memory.samples).toHaveLength(5);
  });
});
