import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Median with the spread of one series of measurements. */
export interface SeriesStats {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly samples: readonly number[];
}

/** Median, min and max; the lower middle for an even count, so one lucky round cannot lift it. */
export function seriesStats(samples: readonly number[]): SeriesStats {
  const sorted = [...samples].sort((a, b) => a - b);
  const median = sorted.length === 0 ? Number.NaN : sorted[Math.floor((sorted.length - 1) / 2)]!;
  return { median, min: sorted[0] ?? Number.NaN, max: sorted.at(-1) ?? Number.NaN, samples };
}

/** The `q` quantile (0..1) of a sample, nearest rank. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** One variant of an interleaved measurement: a name and one run that returns its figure. */
export interface Variant {
  readonly name: string;
  readonly run: () => Promise<number>;
}

/**
 * Runs every variant once per round, rotating the order each round, so drift on a shared machine (other
 * processes, thermal, GC of earlier rounds) spreads over all of them instead of favouring one.
 */
export async function interleave(
  variants: readonly Variant[],
  rounds: number,
  onRound?: (round: number, figures: ReadonlyMap<string, number>) => void,
): Promise<Map<string, SeriesStats>> {
  const samples = new Map<string, number[]>(variants.map((v) => [v.name, []]));
  for (let round = 0; round < rounds; round++) {
    const figures = new Map<string, number>();
    for (let i = 0; i < variants.length; i++) {
      const variant = variants[(i + round) % variants.length]!;
      const figure = await variant.run();
      samples.get(variant.name)!.push(figure);
      figures.set(variant.name, figure);
    }
    onRound?.(round + 1, figures);
  }
  return new Map([...samples].map(([name, values]) => [name, seriesStats(values)]));
}

/** Writes a line to stdout (bench scripts report there, the library never does); `BENCH_QUIET=1` silences it for the smoke tests. */
export function say(line = ''): void {
  if (process.env.BENCH_QUIET !== '1') process.stdout.write(`${line}\n`);
}

/** A number with thousands separators and no decimals, for tables. */
export function fmt(value: number, digits = 0): string {
  return Number.isFinite(value) ? value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : 'n/a';
}

/** Prints `name | median | min | max | ratio to baseline` for each series. */
export function printTable(title: string, unit: string, results: ReadonlyMap<string, SeriesStats>, baseline?: string, digits = 0): void {
  const base = baseline ? results.get(baseline)?.median : undefined;
  const width = Math.max(...[...results.keys()].map((name) => name.length), 10);
  say(`\n${title}`);
  say(`  ${'variant'.padEnd(width)}  ${`median ${unit}`.padStart(16)}  ${'min'.padStart(10)}  ${'max'.padStart(10)}${base ? `  ${`× ${baseline}`}` : ''}`);
  for (const [name, s] of results) {
    const ratio = base ? `  ${(s.median / base).toFixed(2)}×` : '';
    say(`  ${name.padEnd(width)}  ${fmt(s.median, digits).padStart(16)}  ${fmt(s.min, digits).padStart(10)}  ${fmt(s.max, digits).padStart(10)}${ratio}`);
  }
}

/** The `bench` folder of the source tree, whether this runs compiled (dist/bench) or not. */
export function benchSourceDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return here.endsWith(join('dist', 'bench')) ? join(here, '..', '..', 'bench') : here;
}

/** Where results go: `bench/results` (gitignored), or `BENCH_RESULTS_DIR`. */
export function resultsDir(): string {
  return process.env.BENCH_RESULTS_DIR ?? join(benchSourceDir(), 'results');
}

/** Writes `<mode>-<timestamp>.json` with the settings, the machine and the results; returns its path. */
export async function writeResults(mode: string, settings: Record<string, unknown>, results: unknown): Promise<string> {
  const dir = resultsDir();
  await mkdir(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const path = join(dir, `${mode}-${stamp}.json`);
  const body = {
    mode,
    at: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    settings,
    results,
  };
  await writeFile(path, `${JSON.stringify(body, (_key, value: unknown) => (value instanceof Map ? Object.fromEntries(value) : value), 2)}\n`);
  return path;
}
