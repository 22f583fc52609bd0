import { InboxStoreError } from './inbox.errors.js';
import type { InboxClaimStatus, InboxStore } from './inbox-store.interface.js';

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
}

// A claim is stored as `claim:<token>` and a commit as `done`, so no token can ever read as a commit.
const CLAIM_PREFIX = 'claim:';
const DONE = 'done';

// Each script touches one key, so it is atomic and cluster-safe. GET then SET inside one script instead of
// SET NX: a single round trip that also tells `in-progress` from `done` when the key exists.
const CLAIM_SCRIPT = `
local v = redis.call('GET', KEYS[1])
if not v then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 'claimed'
end
if v == '${DONE}' then return 'done' end
return 'in-progress'`;

const COMMIT_SCRIPT = `
local v = redis.call('GET', KEYS[1])
redis.call('SET', KEYS[1], '${DONE}', 'PX', ARGV[2])
if v == ARGV[1] then return 1 end
return 0`;

const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

// PEXPIRE only while the key still holds this token's claim: never creates, never touches a commit.
const RENEW_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

const STATUSES: ReadonlySet<unknown> = new Set<InboxClaimStatus>(['claimed', 'in-progress', 'done']);

/**
 * An {@link InboxStore} on Redis (node-redis), shared by every instance that uses the same Redis and key
 * prefix, so a duplicate is skipped whichever instance receives it. Claims and commits are keys with a
 * `PX` expiry (the lease and the retention); every operation is one Lua script on one key, so claims are
 * atomic and a release or commit compares the claim's token in the same step.
 */
export class RedisInboxStore implements InboxStore {
  private readonly client: RedisInboxClient;
  private readonly keyPrefix: string;

  constructor(options: RedisInboxStoreOptions) {
    this.client = options.client;
    this.keyPrefix = options.keyPrefix ?? 'inbox:';
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

  /** {@inheritDoc InboxStore.commit} */
  async commit(key: string, token: string, retentionMs: number): Promise<boolean> {
    return (await this.run('commit', COMMIT_SCRIPT, key, [CLAIM_PREFIX + token, String(Math.ceil(retentionMs))])) === 1;
  }

  /** {@inheritDoc InboxStore.release} */
  async release(key: string, token: string): Promise<boolean> {
    return (await this.run('release', RELEASE_SCRIPT, key, [CLAIM_PREFIX + token])) === 1;
  }

  /** {@inheritDoc InboxStore.renew} */
  async renew(key: string, token: string, leaseMs: number): Promise<boolean> {
    return (await this.run('renew', RENEW_SCRIPT, key, [CLAIM_PREFIX + token, String(Math.ceil(leaseMs))])) === 1;
  }

  private async run(operation: string, script: string, key: string, args: string[]): Promise<unknown> {
    try {
      return await this.client.eval(script, { keys: [this.redisKey(key)], arguments: args });
    } catch (error) {
      throw new InboxStoreError(`RedisInboxStore: ${operation} of "${key}" failed: ${(error as Error).message}`, { cause: error });
    }
  }
}
