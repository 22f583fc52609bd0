import { describe, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { probeTcp } from './tcp.probe.js';
import { createClient } from 'redis';

/** The Redis the inbox tests use; `REDIS_URL` overrides the local default. Shared: tests touch only their own prefix. */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * A missing Redis fails instead of skipping under the same switches as a missing broker (CI=true,
 * REQUIRE_BROKER=1: `.ci/run` sets the latter, not CI), and under REQUIRE_REDIS=1 of its own.
 */
const REQUIRED = process.env.REQUIRE_REDIS === '1' || process.env.REQUIRE_BROKER === '1' || process.env.CI === 'true';

/** `REDIS_URL` with its password masked (`redis://user:***@host`, `redis://:***@host`), for anything printed. */
export const REDIS_URL_REDACTED = REDIS_URL.replace(/^(rediss?:\/\/[^:/@]*:)[^@]*@/i, '$1***@');

/** Probed once per test file, at load time. */
export const redisReachable: boolean = await probeTcp(REDIS_URL, 6379);

if (!redisReachable) {
  process.stderr.write(`\nRedis is NOT reachable at ${REDIS_URL_REDACTED}: ${REQUIRED ? 'failing (CI/REQUIRE_BROKER/REQUIRE_REDIS)' : 'SKIPPING Redis suites'}.\n`);
}

/** `describe` for suites that need Redis: skipped loudly without it, failed when it is required. */
export function describeWithRedis(name: string, body: () => void): void {
  if (redisReachable) describe(name, body);
  else if (REQUIRED) describe(name, () => it('needs a reachable Redis', () => { throw new Error(`Redis is required (CI, REQUIRE_BROKER=1 or REQUIRE_REDIS=1) but ${REDIS_URL_REDACTED} does not answer`); }));
  else describe.skip(`${name} [SKIPPED: no Redis at ${REDIS_URL_REDACTED}]`, body);
}

/** A key prefix no other test run uses. */
export function uniqueRedisPrefix(label: string): string {
  return `test:${label}:${randomUUID().slice(0, 8)}:`;
}

/** A connected node-redis client. */
export async function connectRedis() {
  const client = createClient({ url: REDIS_URL });
  client.on('error', () => undefined); // reconnects are the client's business; tests assert on results
  await client.connect();
  return client;
}

/** The client {@link connectRedis} returns. */
export type TestRedisClient = Awaited<ReturnType<typeof connectRedis>>;

/** Deletes every key under `prefix` (and only those: the Redis is shared). */
export async function deleteRedisPrefix(client: TestRedisClient, prefix: string): Promise<void> {
  const keys: string[] = [];
  for await (const batch of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) keys.push(...batch);
  if (keys.length > 0) await client.del(keys);
}
