import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { InboxStoreError, RedisInboxStore, type RedisInboxClient } from '../../../lib/index.js';
import { muteNestLogger } from '../../fixtures/logger.fixture.js';
import { sleep } from '../../fixtures/wait-for.fixture.js';
import { connectRedis, deleteRedisPrefix, describeWithRedis, uniqueRedisPrefix, type TestRedisClient } from '../../support/redis.js';

describeWithRedis('RedisInboxStore on Redis', () => {
  const prefix = uniqueRedisPrefix('inbox-store');
  let client: TestRedisClient;
  let store: RedisInboxStore;

  beforeAll(async () => {
    client = await connectRedis();
    // A node-redis client satisfies the structural client type without a cast.
    const structural: RedisInboxClient = client;
    store = new RedisInboxStore({ client: structural, keyPrefix: prefix });
  });

  afterAll(async () => {
    await deleteRedisPrefix(client, prefix);
    expect(await client.keys(`${prefix}*`)).toEqual([]);
    await client.close();
  });

  it('claims once, then in-progress, then done after a commit with the retention as TTL', async () => {
    expect(await store.claim('c:1', 't1', 5_000)).toBe('claimed');
    expect(await store.claim('c:1', 't2', 5_000)).toBe('in-progress');
    const leaseTtl = await client.pTTL(store.redisKey('c:1'));
    expect(leaseTtl).toBeGreaterThan(4_000);
    expect(leaseTtl).toBeLessThanOrEqual(5_000);
    expect(await store.commit('c:1', 't1', 60_000)).toBe(true);
    expect(await client.pTTL(store.redisKey('c:1'))).toBeGreaterThan(50_000);
    expect(await store.claim('c:1', 't3', 5_000)).toBe('done');
  });

  it('only one of many concurrent claims wins', async () => {
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => store.claim('c:race', `t${i}`, 5_000)));
    expect(results.filter((r) => r === 'claimed')).toHaveLength(1);
    expect(results.filter((r) => r === 'in-progress')).toHaveLength(49);
  });

  it('release deletes only its own claim', async () => {
    await store.claim('c:2', 'mine', 5_000);
    expect(await store.release('c:2', 'theirs')).toBe(false);
    expect(await store.claim('c:2', 'x', 5_000)).toBe('in-progress');
    expect(await store.release('c:2', 'mine')).toBe(true);
    expect(await store.claim('c:2', 'next', 5_000)).toBe('claimed');
  });

  it('a lease expires: a successor claims, and the crashed holder can neither release it nor is its late commit lost', async () => {
    expect(await store.claim('c:3', 'crashed', 100)).toBe('claimed');
    await sleep(150);
    expect(await store.claim('c:3', 'successor', 5_000)).toBe('claimed');
    expect(await store.release('c:3', 'crashed')).toBe(false);
    expect(await store.claim('c:3', 'x', 5_000)).toBe('in-progress');
    expect(await store.commit('c:3', 'crashed', 60_000)).toBe(false); // reported, but the side effect is recorded
    expect(await store.claim('c:3', 'y', 5_000)).toBe('done');
    expect(await store.release('c:3', 'successor')).toBe(false); // a commit is never released
    expect(await store.claim('c:3', 'y', 5_000)).toBe('done');
  });

  it('renew extends only its own live claim and never creates or overwrites a record', async () => {
    expect(await store.claim('c:6', 'mine', 300)).toBe('claimed');
    expect(await store.renew('c:6', 'mine', 5_000)).toBe(true);
    expect(await client.pTTL(store.redisKey('c:6'))).toBeGreaterThan(4_000);
    expect(await store.renew('c:6', 'other', 5_000)).toBe(false);
    await store.commit('c:6', 'mine', 60_000);
    expect(await store.renew('c:6', 'mine', 100)).toBe(false);
    expect(await client.pTTL(store.redisKey('c:6'))).toBeGreaterThan(50_000); // the commit keeps its retention
    expect(await store.renew('c:never', 'mine', 5_000)).toBe(false);
    expect(await client.exists(store.redisKey('c:never'))).toBe(0);
    expect(await store.claim('c:7', 'crashed', 100)).toBe('claimed');
    await sleep(150);
    expect(await store.renew('c:7', 'crashed', 5_000)).toBe(false); // a lapsed claim stays lapsed
    expect(await store.claim('c:7', 'successor', 5_000)).toBe('claimed');
  });

  it('forgets a commit after its retention', async () => {
    await store.claim('c:4', 't', 5_000);
    await store.commit('c:4', 't', 100);
    expect(await store.claim('c:4', 'u', 5_000)).toBe('done');
    await sleep(150);
    expect(await store.claim('c:4', 'v', 5_000)).toBe('claimed');
  });

  it('a token that reads "done" is still a claim', async () => {
    expect(await store.claim('c:5', 'done', 5_000)).toBe('claimed');
    expect(await store.claim('c:5', 'x', 5_000)).toBe('in-progress');
  });

  it('is bounded by maxKeys: beyond it the oldest commits are evicted, with warnings from 80% and at the first eviction', async () => {
    const logger = muteNestLogger();
    try {
      const bounded = new RedisInboxStore({ client, keyPrefix: `${prefix}bounded:`, maxKeys: 5 });
      for (let i = 1; i <= 7; i++) {
        await bounded.claim(`c:${i}`, 't', 5_000);
        await bounded.commit(`c:${i}`, 't', 60_000);
      }
      expect(await client.zCard(bounded.indexKey)).toBe(5);
      expect(await client.exists([bounded.redisKey('c:1'), bounded.redisKey('c:2')])).toBe(0);
      expect(await bounded.claim('c:1', 'again', 5_000)).toBe('claimed'); // evicted: handled again
      expect(await bounded.claim('c:3', 'again', 5_000)).toBe('done');
      expect(await bounded.claim('c:7', 'again', 5_000)).toBe('done');
      const warnings = logger.warnings();
      expect(warnings.filter((w) => w.includes('holds 4 message ids, 80% of maxKeys 5'))).toHaveLength(1);
      expect(warnings.filter((w) => w.includes('is full (maxKeys 5)'))).toHaveLength(1);
      const health = await bounded.health();
      expect(health).toMatchObject({ store: 'redis', keys: 5, maxKeys: 5 });
      expect(health.issues).toContainEqual(expect.stringContaining('inbox holds 5 message ids of its maxKeys 5'));
    } finally {
      logger.restore();
    }
  });

  it('an eviction never deletes a live claim, and expired commits leave the index', async () => {
    const bounded = new RedisInboxStore({ client, keyPrefix: `${prefix}evict:`, maxKeys: 2 });
    await bounded.claim('c:expired', 't', 5_000);
    await bounded.commit('c:expired', 't', 100);
    await bounded.claim('c:old', 't', 5_000);
    await bounded.commit('c:old', 't', 60_000);
    await client.del(bounded.redisKey('c:old')); // gone from under the index (e.g. deleted by hand)
    expect(await bounded.claim('c:old', 'live', 5_000)).toBe('claimed');
    await sleep(150);
    for (const id of ['c:a', 'c:b']) {
      await bounded.claim(id, 't', 5_000);
      await bounded.commit(id, 't', 60_000);
    }
    // c:expired left the index on its own; c:old was the oldest entry and was evicted from it, but its key
    // now holds a live claim, which stays.
    expect(await client.zRange(bounded.indexKey, 0, -1)).toEqual(['c:a', 'c:b']);
    expect(await client.get(bounded.redisKey('c:old'))).toBe('claim:live');
  });

  it("health reads the shared server's memory settings without changing them", async () => {
    const health = await store.health();
    expect(health.store).toBe('redis');
    expect(health.details).toMatchObject({ maxMemoryPolicy: expect.any(String), maxMemoryBytes: expect.any(Number), usedMemoryBytes: expect.any(Number) });
    expect((health.details?.usedMemoryBytes as number) > 0).toBe(true);
  });

  it('wraps client failures and unexpected replies in InboxStoreError', async () => {
    const broken = new RedisInboxStore({ client: { eval: async () => Promise.reject(new Error('ECONNREFUSED')) } });
    await expect(broken.claim('k', 't', 1)).rejects.toThrow(InboxStoreError);
    const odd = new RedisInboxStore({ client: { eval: async () => 'maybe' } });
    await expect(odd.claim('k', 't', 1)).rejects.toThrow(/unexpected claim reply/);
  });
});
