import { Logger } from '@nestjs/common';
import { InvalidOptionsError } from '../errors/index.js';
import { InboxStoreError } from './inbox.errors.js';
import type { InboxClaimStatus, InboxStore, InboxStoreHealth } from './inbox-store.interface.js';
import { NEAR_FULL_RATIO, parseMemoryInfo, redisInboxHealth } from './redis-inbox.health.js';
import { CLAIM_PREFIX, CLAIM_SCRIPT, COMMIT_SCRIPT, EVICT_SCRIPT, HEALTH_SCRIPT, INDEX_SCRIPT, RELEASE_SCRIPT, RENEW_SCRIPT } from './redis-inbox.scripts.js';

/**
 * The one call {@link RedisInboxStore} makes: node-redis's `client.eval(script, { keys, arguments })`
 * (v5 and v6). Typed structurally so this library never imports `redis` itself: it stays an optional peer
 * dependency, and any client with this shape (a cluster client, a test double) works.
 */
export interface RedisInboxClient {
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
}

/** Options of {@link RedisInboxStore}. */
export interface RedisInboxStoreOptions {
  /** A connected node-redis client (`await createClient({ url }).connect()`); you own its lifecycle. */
  readonly client: RedisInboxClient;
  /** Prepended to every key, e.g. per service or environment. Default `inbox:`. */
  readonly keyPrefix?: string;
  /**
   * Most committed message ids kept. Beyond it the oldest commits are evicted (deleted before their
   * retention ends), which narrows the deduplication window rather than letting Redis fill up; the store
   * warns from 80% of it and when it first evicts. Counted in a sorted-set index (`<keyPrefix>#index`),
   * which costs about as much memory again per id. Default 1,000,000.
   */
  readonly maxKeys?: number;
}

/** The defaults of {@link RedisInboxStoreOptions}. */
export const REDIS_INBOX_DEFAULTS = { keyPrefix: 'inbox:', maxKeys: 1_000_000 } as const;

const STATUSES: ReadonlySet<unknown> = new Set<InboxClaimStatus>(['claimed', 'in-progress', 'done']);

/**
 * An {@link InboxStore} on Redis (node-redis), shared by every instance that uses the same Redis and key
 * prefix, so a duplicate is skipped whichever instance receives it. Claims and commits are keys with a
 * `PX` expiry (the lease and the retention); every operation is one Lua script on one key, so claims are
 * atomic and a release or commit compares the claim's token in the same step. Commits are also counted in
 * an index, bounded by `maxKeys`; {@link RedisInboxStore.health} reports the key count and the server's
 * memory and eviction settings (`INFO memory`), which can put deduplication at risk.
 */
export class RedisInboxStore implements InboxStore {
  private readonly logger = new Logger('Messaging');
  private readonly client: RedisInboxClient;
  private readonly keyPrefix: string;
  private readonly maxKeys: number;
  private warnedNearFull = false;
  private warnedEvicting = false;

  constructor(options: RedisInboxStoreOptions) {
    this.client = options.client;
    this.keyPrefix = options.keyPrefix ?? REDIS_INBOX_DEFAULTS.keyPrefix;
    this.maxKeys = options.maxKeys ?? REDIS_INBOX_DEFAULTS.maxKeys;
    if (!Number.isSafeInteger(this.maxKeys) || this.maxKeys < 1) {
      throw new InvalidOptionsError(`RedisInboxStore: maxKeys must be a positive integer, got ${options.maxKeys}`);
    }
  }

  /** The Redis key of the index of committed ids (a sorted set scored by expiry). */
  get indexKey(): string {
    return `${this.keyPrefix}#index`;
  }

  /** The Redis key of an inbox key, for inspection and clean-up. */
  redisKey(key: string): string {
    return this.keyPrefix + key;
  }

  /** {@inheritDoc InboxStore.claim} */
  async claim(key: string, token: string, leaseMs: number): Promise<InboxClaimStatus> {
    const reply = await this.run('claim', CLAIM_SCRIPT, key, [CLAIM_PREFIX + token, String(Math.ceil(leaseMs))]);
    const status = typeof reply === 'string' ? reply : String(reply);
    if (!STATUSES.has(status)) throw new InboxStoreError(`RedisInboxStore: unexpected claim reply ${JSON.stringify(status)}`);
    return status as InboxClaimStatus;
  }

  /**
   * {@inheritDoc InboxStore.commit}
   * Also indexes the id, evicting the oldest commits beyond `maxKeys`; an index failure is logged, not
   * thrown (the id is recorded either way).
   */
  async commit(key: string, token: string, retentionMs: number): Promise<boolean> {
    const retention = String(Math.ceil(retentionMs));
    // Sent together: node-redis pipelines them, so the index costs no extra round trip.
    const [committed] = await Promise.all([
      this.run('commit', COMMIT_SCRIPT, key, [CLAIM_PREFIX + token, retention]),
      this.index(key, retention),
    ]);
    return committed === 1;
  }

  /** {@inheritDoc InboxStore.release} */
  async release(key: string, token: string): Promise<boolean> {
    return (await this.run('release', RELEASE_SCRIPT, key, [CLAIM_PREFIX + token])) === 1;
  }

  /** {@inheritDoc InboxStore.renew} */
  async renew(key: string, token: string, leaseMs: number): Promise<boolean> {
    return (await this.run('renew', RENEW_SCRIPT, key, [CLAIM_PREFIX + token, String(Math.ceil(leaseMs))])) === 1;
  }

  /** {@inheritDoc InboxStore.health} */
  async health(): Promise<InboxStoreHealth> {
    const reply = await this.eval('health', HEALTH_SCRIPT, this.indexKey, []);
    if (!Array.isArray(reply) || typeof reply[0] !== 'string') {
      throw new InboxStoreError(`RedisInboxStore: unexpected health reply ${JSON.stringify(reply)}`);
    }
    return redisInboxHealth(parseMemoryInfo(reply[0]), Number(reply[1]), this.maxKeys);
  }

  private async index(key: string, retention: string): Promise<void> {
    let evicted: string[];
    let held: number;
    try {
      const reply = (await this.eval('index', INDEX_SCRIPT, this.indexKey, [key, retention, String(this.maxKeys)])) as unknown[];
      held = Number(reply[0]);
      evicted = reply.slice(1).map(String);
      await Promise.all(evicted.map((id) => this.run('evict', EVICT_SCRIPT, id, [])));
    } catch (error) {
      this.logger.warn(`RedisInboxStore: could not index message id "${key}" (${(error as Error).message}); it is recorded, but not counted against maxKeys`);
      return;
    }
    this.warnOnBudget(held, evicted.length);
  }

  private warnOnBudget(held: number, evicted: number): void {
    if (evicted > 0 && !this.warnedEvicting) {
      this.warnedEvicting = true;
      this.logger.warn(
        `RedisInboxStore "${this.keyPrefix}" is full (maxKeys ${this.maxKeys}): evicting the oldest message ids before their ` +
          'retention ends, so a duplicate of an evicted id would be handled again; raise maxKeys or lower idempotency.retentionMs',
      );
    }
    const near = held >= NEAR_FULL_RATIO * this.maxKeys;
    if (near && !this.warnedNearFull) {
      this.logger.warn(`RedisInboxStore "${this.keyPrefix}" holds ${held} message ids, ${Math.round((100 * held) / this.maxKeys)}% of maxKeys ${this.maxKeys}`);
    }
    // Warn again only after it has gone back below the mark.
    this.warnedNearFull = near;
  }

  private run(operation: string, script: string, key: string, args: string[]): Promise<unknown> {
    return this.eval(operation, script, this.redisKey(key), args);
  }

  private async eval(operation: string, script: string, redisKey: string, args: string[]): Promise<unknown> {
    try {
      return await this.client.eval(script, { keys: [redisKey], arguments: args });
    } catch (error) {
      throw new InboxStoreError(`RedisInboxStore: ${operation} of "${redisKey}" failed: ${(error as Error).message}`, { cause: error });
    }
  }
}
