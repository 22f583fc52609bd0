import type { InboxStoreHealth } from './inbox-store.interface.js';

/** Share of a budget (keys, `maxmemory`) from which the health check reports it as nearly used up. */
export const NEAR_FULL_RATIO = 0.8;

/** The `INFO memory` fields the health check reads. */
export interface RedisMemoryInfo {
  readonly usedMemory: number;
  /** 0: no limit. */
  readonly maxMemory: number;
  readonly policy: string;
}

/** Reads `used_memory`, `maxmemory` and `maxmemory_policy` from an `INFO memory` reply. */
export function parseMemoryInfo(info: string): RedisMemoryInfo {
  const fields = new Map<string, string>();
  for (const line of info.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return {
    usedMemory: Number(fields.get('used_memory') ?? 0),
    maxMemory: Number(fields.get('maxmemory') ?? 0),
    policy: fields.get('maxmemory_policy') ?? 'unknown',
  };
}

/**
 * The risks to deduplication in a Redis's memory settings and the store's key count:
 * - a `maxmemory` with an evicting policy: `allkeys-*` may evict any key and `volatile-*` any key with a
 *   TTL, which every inbox key has; an evicted id is handled again when it is redelivered;
 * - `noeviction` near `maxmemory`: once full, writes fail, claims fail, and idempotent consumers requeue
 *   every message instead of handling it;
 * - the store's own key budget nearly used up (beyond it the oldest ids are evicted).
 */
export function redisInboxHealth(memory: RedisMemoryInfo, keys: number, maxKeys: number): InboxStoreHealth {
  const issues: string[] = [];
  const { usedMemory, maxMemory, policy } = memory;
  const usedShare = maxMemory > 0 ? usedMemory / maxMemory : 0;
  const percent = `${Math.round(usedShare * 100)}% of maxmemory ${maxMemory} bytes`;
  if (maxMemory > 0 && policy !== 'noeviction') {
    const what = policy.startsWith('volatile-') ? 'keys with a TTL, which every inbox key has' : 'any key';
    issues.push(
      `Redis maxmemory-policy ${policy} evicts ${what} when memory is full (now ${percent}): an evicted message id ` +
        'is handled again when redelivered; use noeviction for the inbox',
    );
  } else if (maxMemory > 0 && usedShare >= NEAR_FULL_RATIO) {
    issues.push(`Redis memory at ${percent} with noeviction: once full, claims fail and idempotent consumers requeue every message`);
  }
  if (keys >= NEAR_FULL_RATIO * maxKeys) {
    issues.push(`inbox holds ${keys} message ids of its maxKeys ${maxKeys}: beyond it the oldest are evicted (a shorter deduplication window)`);
  }
  return {
    store: 'redis',
    keys,
    maxKeys,
    details: { usedMemoryBytes: usedMemory, maxMemoryBytes: maxMemory, maxMemoryPolicy: policy },
    issues,
  };
}
